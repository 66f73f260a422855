"""The listing files a university TTO uploads, built in memory, and the calls that upload them.

A sheet is a list of rows, each a dict of canonical field -> typed value (`str`, `date`,
`float`, `int`); `to_csv`, `to_xlsx` and `to_jsonl` render it the way each kind of file
carries it (text in CSV, typed cells in XLSX, nested `licence` objects in JSONL). `junk` and
the zip bombs are the hostile files; `import_report` and friends call the API.
"""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import openpyxl
from fastapi.testclient import TestClient

from tests.factories import Actor, patent_number

Row = dict[str, Any]

_MB = 1024 * 1024

# The template of a Chinese TTO, units in the headers included; 序号 is a running number
# that the import ignores.
CHINESE_HEADERS: dict[str, str] = {
    "serial": "序号",
    "patent_number": "专利号",
    "title": "名称",
    "abstract": "摘要",
    "ipc_codes": "IPC分类号",
    "patent_type": "专利类型",
    "application_date": "申请日",
    "grant_date": "授权日",
    "industry_code": "行业代码",
    "royalty_type": "许可费类型",
    "rate_percent": "提成比例(%)",
    "fixed_fee_yuan": "固定费用（元）",
    "entry_fee_yuan": "入门费",
    "term_years": "许可期限",
    "contact": "联系人",
}

# An English export with a few Chinese columns left in, as a bilingual office produces.
MIXED_HEADERS: dict[str, str] = {
    "patent_number": "Patent No",
    "title": "Title",
    "abstract": "摘要",
    "ipc_codes": "IPC codes",
    "patent_type": "Patent type",
    "application_date": "Filing date",
    "grant_date": "授权日",
    "industry_code": "Industry code",
    "royalty_type": "Royalty type",
    "rate_percent": "Royalty rate",
    "fixed_fee_yuan": "Lump sum",
    "entry_fee_yuan": "Entry fee",
    "term_years": "Licence term",
    "contact": "Contact",
}

_LICENCE_FIELDS = ("royalty_type", "rate_percent", "fixed_fee_yuan", "entry_fee_yuan", "term_years")

# (subject of the title, what it does, IPC codes, GB/T 4754 division)
_TECHNOLOGIES: tuple[tuple[str, str, str, str], ...] = (
    (
        "轴承故障诊断方法",
        "采集振动信号并提取时频特征，利用卷积神经网络识别故障类型",
        "G06N 3/08; G01M 13/045",
        "C34",
    ),
    (
        "锂离子电池正极材料及其制备方法",
        "通过掺杂改性提高材料的循环稳定性与倍率性能",
        "H01M 4/525",
        "C38",
    ),
    (
        "污水脱氮除磷处理装置",
        "采用多级生物膜反应器，降低运行能耗并提高出水水质",
        "C02F 3/30",
        "N77",
    ),
    (
        "水稻抗倒伏栽培方法",
        "通过调控氮肥施用时期增强茎秆强度，提高单位面积产量",
        "A01G 22/22",
        "A01",
    ),
    ("高强度铝合金焊接工艺", "采用搅拌摩擦焊并控制热输入，减少焊缝缺陷", "B23K 20/12", "C33"),
    ("中药提取物的纯化方法", "利用大孔树脂吸附与梯度洗脱，提高有效成分含量", "A61K 36/185", "C27"),
    ("图像语义分割方法", "结合注意力机制与多尺度特征融合，提升分割精度", "G06T 7/11", "I65"),
    ("光伏组件清洁机器人", "采用履带式行走机构与自动纠偏控制，实现无水清洁", "H02S 40/10", "C35"),
    (
        "可降解包装薄膜及其制备方法",
        "以聚乳酸为基体并加入增韧剂，兼顾强度与降解性能",
        "C08L 67/04",
        "C29",
    ),
    ("桥梁结构健康监测系统", "布设光纤光栅传感器，实时评估结构损伤状态", "G01M 5/00", "E48"),
    (
        "新能源汽车电池热管理装置",
        "采用液冷板与相变材料耦合散热，控制电芯温差",
        "H01M 10/613",
        "C36",
    ),
    ("工业废气催化净化方法", "利用复合金属氧化物催化剂低温分解挥发性有机物", "B01D 53/86", "N77"),
)
_QUALIFIERS = ("", "低成本的", "高效率的", "基于物联网的", "可重复使用的")
_ROYALTY_CYCLE = ("提成", "固定费用", "入门费+提成", "免费", "面议")
_CONTACTS = ("技术转移中心 王老师 0571-87950000", "科研院 李老师", "成果转化办公室 张老师")


def valid_row(index: int, today: date | None = None) -> Row:
    """Return the `index`-th valid listing of a TTO's spreadsheet; different indexes differ.

    Application dates are three to seven years back from today, so that no listing (a utility
    model runs ten years) has expired whenever the tests run.
    """
    today = today or date.today()
    subject, effect, ipc, industry = _TECHNOLOGIES[index % len(_TECHNOLOGIES)]
    qualifier = _QUALIFIERS[(index // len(_TECHNOLOGIES)) % len(_QUALIFIERS)]
    is_invention = index % 3 != 2
    application = date(today.year - 3 - index % 5, 1 + index % 12, 1 + index % 28)
    royalty = _ROYALTY_CYCLE[index % len(_ROYALTY_CYCLE)]
    row: Row = {
        "serial": index + 1,
        "patent_number": patent_number(application.year, 1 if is_invention else 2, 600_000 + index),
        "title": f"一种{qualifier}{subject}",
        "abstract": f"本{'发明' if is_invention else '实用新型'}公开了一种{qualifier}{subject}，"
        f"{effect}。试验样机连续运行{100 + index}小时，性能稳定，适合中小企业推广应用。",
        "ipc_codes": ipc,
        "patent_type": "发明" if is_invention else "实用新型",
        "application_date": application,
        "grant_date": application + timedelta(days=400 + index % 200),
        "industry_code": industry,
        "royalty_type": royalty,
        "term_years": 3 + index % 3,
        "contact": _CONTACTS[index % len(_CONTACTS)],
    }
    if royalty in ("提成", "入门费+提成"):
        row["rate_percent"] = round(1.5 + (index % 8) * 0.5, 1)
    if royalty == "固定费用":
        row["fixed_fee_yuan"] = float(50_000 + (index % 10) * 10_000)
    if royalty == "入门费+提成":
        row["entry_fee_yuan"] = float(20_000 + (index % 4) * 5_000)
    return row


@dataclass(frozen=True)
class BadRow:
    """A deliberately broken row: its spreadsheet row number and the field the report names."""

    row: int
    field: str
    msg_contains: str


@dataclass(frozen=True)
class Workbook:
    """A 300-row listing sheet with seven bad rows at known places."""

    rows: list[Row]
    bad: list[BadRow]

    @property
    def valid_count(self) -> int:
        return len(self.rows) - len(self.bad)

    def expected_rejections(self) -> list[tuple[int, str]]:
        """Return the (row, field) pairs the import report must list."""
        return [(bad.row, bad.field) for bad in self.bad]

    def sheet_row(self, number: int) -> Row:
        """Return the row that a spreadsheet shows as row `number` (the header is row 1)."""
        return self.rows[number - 2]


def spreadsheet_with_seven_bad_rows(count: int = 300) -> Workbook:
    """Return `count` listings of which seven are wrong in one field each."""
    rows = [valid_row(i) for i in range(count)]

    def spoil(number: int, **changes: Any) -> Row:
        row = rows[number - 2]
        row.update(changes)
        return row

    number = rows[5 - 2]["patent_number"]
    spoil(5, patent_number=number[:-1] + ("1" if number.endswith("0") else "0"))
    spoil(42, ipc_codes="G06F 16/33; Z99Q 1/00")
    spoil(77, title="")
    spoil(120, industry_code="C99")
    spoil(166, royalty_type="提成", rate_percent=150.0, fixed_fee_yuan=None, entry_fee_yuan=None)
    # The same patent again, spelt as on its certificate: ZL prefix, no point.
    duplicate_of = rows[9 - 2]["patent_number"]
    spoil(213, patent_number="ZL" + duplicate_of.replace(".", ""))
    spoil(301, grant_date=rows[301 - 2]["application_date"] - timedelta(days=30))
    bad = [
        BadRow(5, "patent_number", "check digit is"),
        BadRow(42, "ipc_codes", "Z99Q 1/00"),
        BadRow(77, "title", "column '名称' is empty; the patent title is required"),
        BadRow(120, "industry_code", "'C99' is not a GB/T 4754-2017 division"),
        BadRow(166, "rate_percent", "less than or equal to 100"),
        BadRow(213, "patent_number", f"patent {duplicate_of} already appears in row 9"),
        BadRow(301, "grant_date", "is before application_date"),
    ]
    return Workbook(rows=[_drop_none(r) for r in rows], bad=bad)


def _drop_none(row: Row) -> Row:
    return {k: v for k, v in row.items() if v is not None}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def table(rows: Sequence[Row], headers: dict[str, str] = CHINESE_HEADERS) -> list[list[Any]]:
    """Return the header row and one list of cells per row, columns in `headers` order."""
    return [list(headers.values())] + [[row.get(field) for field in headers] for row in rows]


def to_csv(
    rows: Sequence[Row], headers: dict[str, str] = CHINESE_HEADERS, encoding: str = "utf-8"
) -> bytes:
    """Return the rows as a CSV file, as Excel writes it (CRLF, dates as 2019-03-15)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for cells in table(rows, headers):
        writer.writerow([_text(cell) for cell in cells])
    return buffer.getvalue().encode(encoding)


def to_xlsx(rows: Sequence[Row], headers: dict[str, str] = CHINESE_HEADERS) -> bytes:
    """Return the rows as an .xlsx workbook with typed cells (dates, numbers, text)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for cells in table(rows, headers):
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_jsonl(rows: Sequence[Row]) -> bytes:
    """Return the rows as JSON lines, the licence terms nested as the API takes them."""
    lines = []
    for row in rows:
        record: dict[str, Any] = {}
        licence: dict[str, Any] = {}
        for field, value in row.items():
            if field == "serial":
                continue
            plain = value.isoformat() if isinstance(value, date) else value
            if field in _LICENCE_FIELDS:
                licence["type" if field == "royalty_type" else field] = plain
            else:
                record[field] = plain
        record["licence"] = licence
        lines.append(json.dumps(record, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode()


# --- hostile files -----------------------------------------------------------------------


def junk(size: int, seed: int, prefix: bytes = b"") -> bytes:
    """Return `size` reproducible random bytes after `prefix`."""
    return prefix + random.Random(seed).randbytes(size)


def zip_bomb(member_mb: int = 64) -> bytes:
    """Return a zip that looks like a workbook but one sheet inflates to `member_mb` MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(member_mb):
                member.write(bytes(_MB))
    return buffer.getvalue()


def many_member_zip_bomb(members: int = 110) -> bytes:
    """Return a workbook-like zip whose members, each under 1 MB, inflate to over 100 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for number in range(members):
            archive.writestr(f"xl/worksheets/sheet{number}.xml", bytes(_MB - 1))
    return buffer.getvalue()


# --- uploading ---------------------------------------------------------------------------

IMPORT = "/v1/listings/import"


def post_import(
    client: TestClient,
    actor: Actor | None,
    content: bytes,
    filename: str,
    language: str | None = None,
    **params: Any,
) -> httpx.Response:
    """Return the response of uploading `content` as `filename`, in `language` if given."""
    headers = dict(actor.headers) if actor else {}
    if language is not None:
        headers["Accept-Language"] = language
    return client.post(
        IMPORT,
        files={"file": (filename, content)},
        params={k: str(v).lower() for k, v in params.items()},
        headers=headers,
    )


def import_report(
    client: TestClient, actor: Actor, content: bytes, filename: str = "专利清单.csv", **params: Any
) -> dict[str, Any]:
    """Upload `content` as `filename` and return the import report, asserting a 200."""
    response = post_import(client, actor, content, filename, **params)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def rejected_rows(report: dict[str, Any]) -> list[tuple[int, str]]:
    """Return the (row, field) pairs of a report's rejected rows."""
    return [(r["row"], r["field"]) for r in report["rejected"]]


def counts(report: dict[str, Any]) -> tuple[int, int, int, int]:
    """Return created, updated, unchanged and the number of rejected rows."""
    return report["created"], report["updated"], report["unchanged"], len(report["rejected"])


def holder_total(client: TestClient, reader: Actor, holder: Actor) -> int:
    """Return how many active listings `holder` holds, as `reader` sees the catalogue."""
    response = client.get(
        "/v1/listings",
        params={"limit": 1, "holder_id": holder.organisation.id},
        headers=reader.headers,
    )
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


def listing_by_number(client: TestClient, reader: Actor, number: str) -> dict[str, Any]:
    """Return the one listing, of any status, with this canonical patent number."""
    response = client.get(
        "/v1/listings", params={"patent_number": number, "status": "any"}, headers=reader.headers
    )
    assert response.status_code == 200, response.text
    [listing] = response.json()["items"]
    return dict(listing)


def error_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """Return the only problem of an error response in the API shape, asserting its status."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["detail"]
    [problem] = body["detail"]
    assert set(problem) == {"msg", "type", "loc"}
    return dict(problem)


# --- a tech-transfer office's own sheet --------------------------------------------------

# Two header rows, as the office's template has them: `联系人` is merged over a name and a
# phone column, whose sub-headers sit in row 2; every other header is merged down over row 2.
OFFICE_HEADERS: tuple[str, ...] = (
    "序号",
    "专利号",
    "专利名称",
    "项目名称",
    "摘要",
    "IPC分类号",
    "申请日",
    "专利权人",
    "发明人",
    "支付方式",
    "许可费率",
    "合同金额（万元）",
    "入门费（万元）",
    "价格",
    "许可期限",
    "联系人",
    "",
)
OFFICE_SUB_HEADERS: tuple[str, ...] = ("",) * 15 + ("姓名", "电话")
_CONTACT_COLUMN = OFFICE_HEADERS.index("联系人")
# A rate written as the sheet's percentage format shows it; the XLSX cell holds the fraction.
Percent = tuple[float, str]


def office_rows() -> list[dict[str, Any]]:
    """Return the office's data rows (sheet rows 3 to 10) by header; rows 6 to 10 are wrong."""
    base = [valid_row(i) for i in range(8)]
    rows: list[dict[str, Any]] = []
    licences: list[dict[str, Any]] = [
        {"支付方式": "固定费用", "合同金额（万元）": 1.5, "许可期限": "3年"},
        {"支付方式": "提成", "许可费率": (0.03, "0%"), "许可期限": 5},
        {
            "支付方式": "入门费+提成",
            "入门费（万元）": 2,
            "许可费率": (0.025, "0.0%"),
            "许可期限": "24个月",
        },
        # wrong: a percentage in the fee column
        {"支付方式": "固定费用", "合同金额（万元）": "3%", "许可期限": 3},
        # wrong: 0.03 with no unit anywhere: 3% or 0.03%?
        {"支付方式": "提成", "许可费率": 0.03, "许可期限": 3},
        # wrong: the title sits in 项目名称 (the row's own 专利名称 is empty)
        {"支付方式": "免费", "项目名称": "一种低成本的污水处理装置", "许可期限": 3},
        # wrong: the fee sits in 价格
        {"支付方式": "固定费用", "价格": 50000, "许可期限": 3},
        # wrong: a term of a year and a half, kept in whole years
        {"支付方式": "免费", "许可期限": "18个月"},
    ]
    for index, (row, licence) in enumerate(zip(base, licences, strict=True)):
        cells: dict[str, Any] = {
            "序号": index + 1,
            "专利号": row["patent_number"],
            "专利名称": "" if "项目名称" in licence else row["title"],
            "摘要": row["abstract"],
            "IPC分类号": row["ipc_codes"],
            "申请日": row["application_date"],
            "专利权人": "浙江某大学",
            "发明人": "张三；李四",
            "联系人": "王老师",
            "": f"0571-8795000{index}",
        }
        rows.append(cells | licence)
    return rows


def _office_cells(row: dict[str, Any]) -> list[Any]:
    return [row.get(header) for header in OFFICE_HEADERS]


def office_xlsx() -> bytes:
    """Return the office's sheet as Excel saves it: merged headers, percentage cells."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(OFFICE_HEADERS))
    sheet.append([text or None for text in OFFICE_SUB_HEADERS])
    for column in range(1, len(OFFICE_HEADERS) + 1):
        if column - 1 < _CONTACT_COLUMN:
            sheet.merge_cells(start_row=1, start_column=column, end_row=2, end_column=column)
    sheet.merge_cells(
        start_row=1, start_column=_CONTACT_COLUMN + 1, end_row=1, end_column=_CONTACT_COLUMN + 2
    )
    for number, row in enumerate(office_rows(), start=3):
        for column, value in enumerate(_office_cells(row), start=1):
            cell = sheet.cell(row=number, column=column)
            if isinstance(value, tuple):
                cell.value, cell.number_format = value
            else:
                cell.value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def office_csv() -> bytes:
    """Return the office's sheet as Excel exports it to CSV: merged headers become blanks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(OFFICE_HEADERS)
    writer.writerow(OFFICE_SUB_HEADERS)
    for row in office_rows():
        writer.writerow([_office_text(value) for value in _office_cells(row)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _office_text(value: Any) -> str:
    if isinstance(value, tuple):
        return f"{value[0] * 100:g}%"  # what Excel writes for a percentage cell
    return _text(value)


# --- hostile workbooks, written by hand ----------------------------------------------------


def workbook_with_sheet(sheet_rows_xml: str, shared_strings: bytes | None = None) -> bytes:
    """Return a real .xlsx whose first sheet's rows are `sheet_rows_xml` (inline strings)."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["专利号"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{sheet_rows_xml}</sheetData></worksheet>"
    ).encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = sheet
            target.writestr(member.filename, data)
        if shared_strings is not None:
            target.writestr("xl/sharedStrings.xml", shared_strings)
    return out.getvalue()


def inline_row(number: int, *cells: tuple[str, str]) -> str:
    """Return one sheet row of inline-string cells, each given as (reference, text)."""
    inner = "".join(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>' for ref, text in cells)
    return f'<row r="{number}">{inner}</row>'


def shared_strings_part(size: int, seed: int = 1) -> bytes:
    """Return a shared-strings part of about `size` bytes that does not compress well."""
    text = random.Random(seed).randbytes(size // 2).hex()
    return (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        f'uniqueCount="1"><si><t>{text}</t></si></sst>'
    ).encode()
