"""`POST /v1/listings/import` end to end: issue 2's acceptance criteria for bulk import.

Uploads the import refuses as a whole (hostile files, limits, keys) are in
`test_import_refusals.py`.
"""

from __future__ import annotations

import copy
import io

import openpyxl
import pytest
from fastapi.testclient import TestClient

from app.validation.patent_number import check_digit
from tests.app.import_files import (
    CHINESE_HEADERS,
    MIXED_HEADERS,
    Row,
    Workbook,
    counts,
    holder_total,
    import_report,
    listing_by_number,
    rejected_rows,
    spreadsheet_with_seven_bad_rows,
    to_csv,
    to_jsonl,
    to_xlsx,
    valid_row,
)
from tests.factories import Actors, patent_number


@pytest.fixture(scope="module")
def workbook() -> Workbook:
    return spreadsheet_with_seven_bad_rows()


@pytest.fixture(scope="module")
def csv_file(workbook: Workbook) -> bytes:
    return to_csv(workbook.rows)


# --- the 300-row spreadsheet ----------------------------------------------------------------


def test_import_creates_valid_rows_and_reports_each_bad_row_with_its_field(
    client: TestClient, actors: Actors, workbook: Workbook, csv_file: bytes
) -> None:
    report = import_report(client, actors.tto, csv_file)

    assert counts(report) == (293, 0, 0, 7)
    assert rejected_rows(report) == [
        (5, "patent_number"),
        (42, "ipc_codes"),
        (77, "title"),
        (120, "industry_code"),
        (166, "rate_percent"),
        (213, "patent_number"),
        (301, "grant_date"),
    ]
    for rejected, bad in zip(report["rejected"], workbook.bad, strict=True):
        assert bad.msg_contains in rejected["msg"], rejected
    assert report | {"rejected": [], "preview": [], "notes": []} == {
        "format": "csv",
        "encoding": "utf-8",
        "rows": 300,
        "created": 293,
        "updated": 0,
        "unchanged": 0,
        "rejected": [],
        "ignored_columns": ["序号"],
        "ignored_columns_total": 1,
        "unstored_columns": [],
        "notes": [],
        "preview": [],
        "dry_run": False,
        "all_or_nothing": False,
        "committed": True,
    }
    assert holder_total(client, actors.sme, actors.tto) == 293
    assert holder_total(client, actors.sme, actors.other_tto) == 0


def test_bad_rows_get_messages_a_tto_can_act_on(
    client: TestClient, actors: Actors, workbook: Workbook, csv_file: bytes
) -> None:
    report = import_report(client, actors.tto, csv_file, dry_run=True)
    spoilt = workbook.sheet_row(5)["patent_number"]
    digits, _, given = spoilt.partition(".")
    duplicate_of = workbook.sheet_row(9)["patent_number"]
    late = workbook.sheet_row(301)
    assert [(r["column"], r["msg"]) for r in report["rejected"]] == [
        (
            "专利号",
            f"column '专利号': check digit is {given} but should be {check_digit(digits)} for "
            f"{digits}",
        ),
        ("IPC分类号", "column 'IPC分类号': 'Z99Q 1/00' is not an IPC code like G06F 16/33"),
        ("名称", "column '名称' is empty; the patent title is required"),
        ("行业代码", "column '行业代码': 'C99' is not a GB/T 4754-2017 division (01 to 97)"),
        ("提成比例(%)", "column '提成比例(%)': Input should be less than or equal to 100"),
        ("专利号", f"patent {duplicate_of} already appears in row 9 of this file"),
        (
            "授权日",
            f"column '授权日': grant_date {late['grant_date']} is before application_date "
            f"{late['application_date']}",
        ),
    ]


def test_imported_listing_carries_every_column_of_its_row(
    client: TestClient, actors: Actors, workbook: Workbook, csv_file: bytes
) -> None:
    import_report(client, actors.tto, csv_file)
    row = workbook.sheet_row(4)  # an entry fee plus royalty, on a utility model
    listing = listing_by_number(client, actors.sme, row["patent_number"])

    assert listing | {"id": 0, "created_at": "", "updated_at": "", "remaining_years": 0} == {
        "id": 0,
        "patent_number": row["patent_number"],
        "title": row["title"],
        "abstract": row["abstract"],
        "claims": None,
        "ipc_codes": ["C02F 3/30"],
        "patent_type": "utility_model",
        "application_date": row["application_date"].isoformat(),
        "grant_date": row["grant_date"].isoformat(),
        "expiry_date": row["application_date"]
        .replace(year=row["application_date"].year + 10)
        .isoformat(),
        "remaining_years": 0,
        "legal_status": None,
        "industry_code": "N77",
        "licence": {
            "royalty_type": "entry_plus_percentage",
            "rate_percent": row["rate_percent"],
            "fixed_fee_yuan": None,
            "entry_fee_yuan": row["entry_fee_yuan"],
            "term_years": row["term_years"],
        },
        "province": "浙江省",  # the holder's, as the sheet gives none
        "contact": row["contact"],
        "holder": {
            "id": actors.tto.organisation.id,
            "name": "测试大学",
            "kind": "university",
            "province": "浙江省",
        },
        "status": "active",
        "version": 1,
        "created_at": "",
        "updated_at": "",
    }


def test_all_or_nothing_import_with_bad_rows_writes_nothing(
    client: TestClient, actors: Actors, workbook: Workbook, csv_file: bytes
) -> None:
    report = import_report(client, actors.tto, csv_file, all_or_nothing=True)

    # The counts say what the import would have done, so the TTO sees the size of the fix.
    assert counts(report) == (293, 0, 0, 7)
    assert rejected_rows(report) == workbook.expected_rejections()
    assert (report["committed"], report["all_or_nothing"], report["dry_run"]) == (
        False,
        True,
        False,
    )
    assert holder_total(client, actors.tto, actors.tto) == 0


def test_all_or_nothing_import_of_a_clean_file_commits_it(
    client: TestClient, actors: Actors
) -> None:
    rows = [valid_row(i) for i in range(20)]
    report = import_report(client, actors.tto, to_csv(rows), all_or_nothing=True)

    assert (counts(report), report["committed"]) == ((20, 0, 0, 0), True)
    assert holder_total(client, actors.tto, actors.tto) == 20


def test_dry_run_counts_as_if_importing_and_writes_nothing(
    client: TestClient, actors: Actors, workbook: Workbook, csv_file: bytes
) -> None:
    report = import_report(client, actors.tto, csv_file, dry_run=True)

    assert counts(report) == (293, 0, 0, 7)
    assert rejected_rows(report) == workbook.expected_rejections()
    assert (report["committed"], report["dry_run"]) == (False, True)
    assert holder_total(client, actors.tto, actors.tto) == 0


def test_dry_run_after_an_import_reports_the_update_without_making_it(
    client: TestClient, actors: Actors, workbook: Workbook, csv_file: bytes
) -> None:
    import_report(client, actors.tto, csv_file)
    rows = copy.deepcopy(workbook.rows)
    rows[0]["abstract"] += "另附中试数据。"

    report = import_report(client, actors.tto, to_csv(rows), dry_run=True)

    assert counts(report) == (0, 1, 292, 7)
    listing = listing_by_number(client, actors.tto, rows[0]["patent_number"])
    assert (listing["abstract"], listing["version"]) == (workbook.rows[0]["abstract"], 1)


def test_importing_the_same_file_again_reports_every_valid_row_unchanged(
    client: TestClient, actors: Actors, workbook: Workbook, csv_file: bytes
) -> None:
    first = import_report(client, actors.tto, csv_file)
    before = listing_by_number(client, actors.tto, workbook.sheet_row(2)["patent_number"])

    again = import_report(client, actors.tto, csv_file)

    assert counts(again) == (0, 0, 293, 7)
    # The duplicate row is still rejected against row 9, not reported unchanged: the file names
    # the patent twice, and which row the TTO meant is for the TTO to say. The report of a file
    # does not depend on what an earlier upload stored.
    assert again["rejected"] == first["rejected"]
    assert again["committed"] is True
    assert listing_by_number(client, actors.tto, workbook.sheet_row(2)["patent_number"]) == before
    assert holder_total(client, actors.tto, actors.tto) == 293


def test_reimport_with_an_edited_abstract_and_rate_updates_only_those_listings(
    client: TestClient, actors: Actors, workbook: Workbook, csv_file: bytes
) -> None:
    import_report(client, actors.tto, csv_file)
    rows = copy.deepcopy(workbook.rows)
    edited_abstract, edited_rate = rows[10], rows[20]  # sheet rows 12 and 22
    assert edited_rate["royalty_type"] == "提成"
    edited_abstract["abstract"] = "本发明公开了一种改进的轴承故障诊断方法，新增迁移学习模块。"
    edited_rate["rate_percent"] = 4.5
    untouched = listing_by_number(client, actors.tto, rows[30]["patent_number"])

    report = import_report(client, actors.tto, to_csv(rows))

    assert counts(report) == (0, 2, 291, 7)
    first = listing_by_number(client, actors.tto, edited_abstract["patent_number"])
    assert (first["abstract"], first["version"]) == (edited_abstract["abstract"], 2)
    second = listing_by_number(client, actors.tto, edited_rate["patent_number"])
    assert (second["licence"]["rate_percent"], second["version"]) == (4.5, 2)
    assert listing_by_number(client, actors.tto, rows[30]["patent_number"]) == untouched
    assert holder_total(client, actors.tto, actors.tto) == 293


def test_import_offers_a_withdrawn_listing_again(client: TestClient, actors: Actors) -> None:
    rows = [valid_row(i) for i in range(3)]
    import_report(client, actors.tto, to_csv(rows))
    listing = listing_by_number(client, actors.tto, rows[1]["patent_number"])
    assert client.delete(f"/v1/listings/{listing['id']}", headers=actors.tto.headers).is_success

    report = import_report(client, actors.tto, to_csv(rows))

    assert counts(report) == (0, 1, 2, 0)
    again = listing_by_number(client, actors.tto, rows[1]["patent_number"])
    assert (again["status"], again["version"]) == ("active", 3)


def test_duplicate_of_a_rejected_row_is_still_reported_as_a_duplicate(
    client: TestClient, actors: Actors
) -> None:
    # Were the copy created, fixing the first row would flip the listing to the other row's
    # content on the next upload: the file names the patent twice either way.
    rows = [valid_row(i) for i in range(4)]
    rows[1]["ipc_codes"] = "Z99Q 1/00"
    rows.append(rows[1] | {"ipc_codes": "G06F 16/33"})

    report = import_report(client, actors.tto, to_csv(rows))

    assert counts(report) == (3, 0, 0, 2)
    assert report["rejected"] == [
        {
            "row": 3,
            "field": "ipc_codes",
            "column": "IPC分类号",
            "msg": "column 'IPC分类号': 'Z99Q 1/00' is not an IPC code like G06F 16/33",
        },
        {
            "row": 6,
            "field": "patent_number",
            "column": "专利号",
            "msg": f"patent {rows[1]['patent_number']} already appears in row 3 of this file",
        },
    ]
    assert holder_total(client, actors.tto, actors.tto) == 3


def test_rows_are_numbered_as_the_spreadsheet_shows_them_below_a_title_row(
    client: TestClient, actors: Actors
) -> None:
    rows = [valid_row(i) for i in range(3)]
    rows[2]["title"] = ""
    content = "浙江某大学开放许可专利清单（2024年第一批）\r\n\r\n".encode() + to_csv(rows)

    report = import_report(client, actors.tto, content)

    # Title on row 1, a blank row 2, the header on row 3: the data starts on row 4.
    assert (counts(report), rejected_rows(report)) == ((2, 0, 0, 1), [(6, "title")])


# --- one sheet, every format and encoding ---------------------------------------------------

_FORMATS = {
    "csv-utf8": ("专利清单.csv", lambda rows: to_csv(rows), "utf-8"),
    "csv-utf8-bom": ("专利清单.csv", lambda rows: to_csv(rows, encoding="utf-8-sig"), "utf-8-sig"),
    "csv-gbk": ("专利清单.csv", lambda rows: to_csv(rows, encoding="gbk"), "gb18030"),
    "xlsx": ("专利清单.xlsx", lambda rows: to_xlsx(rows), None),
}


@pytest.mark.parametrize("kind", list(_FORMATS))
def test_every_format_and_encoding_of_the_sheet_imports_to_the_same_report(
    client: TestClient, actors: Actors, workbook: Workbook, kind: str
) -> None:
    filename, render, encoding = _FORMATS[kind]
    csv_report = import_report(client, actors.tto, to_csv(workbook.rows), dry_run=True)

    report = import_report(client, actors.tto, render(workbook.rows), filename)

    assert (report["format"], report["encoding"]) == (filename.rsplit(".")[-1], encoding)
    assert counts(report) == (293, 0, 0, 7)
    assert report["rejected"] == csv_report["rejected"]
    assert report["ignored_columns"] == ["序号"]
    assert holder_total(client, actors.tto, actors.tto) == 293


@pytest.mark.parametrize("kind", ["csv-gbk", "csv-utf8-bom", "xlsx"])
def test_other_formats_of_an_imported_sheet_store_identical_values(
    client: TestClient, actors: Actors, workbook: Workbook, csv_file: bytes, kind: str
) -> None:
    # Typed XLSX cells (dates, floats) and GBK text must hash exactly like the UTF-8 CSV.
    import_report(client, actors.tto, csv_file)
    filename, render, _ = _FORMATS[kind]

    report = import_report(client, actors.tto, render(workbook.rows), filename)

    assert counts(report) == (0, 0, 293, 7)


def test_xlsx_with_patent_numbers_stored_as_numbers_keeps_their_check_digit(
    client: TestClient, actors: Actors
) -> None:
    rows = [valid_row(i) for i in range(12)]
    rows = [r for r in rows if not r["patent_number"].endswith(("0", "X"))]
    typed = [r | {"patent_number": float(r["patent_number"])} for r in rows]
    report = import_report(client, actors.tto, to_xlsx(typed), "清单.xlsx")

    assert counts(report) == (len(rows), 0, 0, 0)
    assert (
        listing_by_number(client, actors.tto, rows[0]["patent_number"])["title"] == rows[0]["title"]
    )


def test_english_and_mixed_headers_import_like_chinese_ones(
    client: TestClient, actors: Actors
) -> None:
    rows = [valid_row(i) for i in range(25)]
    english = [
        r
        | {
            "patent_type": {"发明": "invention", "实用新型": "utility model"}[r["patent_type"]],
            "royalty_type": {
                "提成": "percentage",
                "固定费用": "fixed",
                "入门费+提成": "entry_plus_percentage",
                "免费": "free",
                "面议": "negotiable",
            }[r["royalty_type"]],
        }
        for r in rows
    ]
    report = import_report(client, actors.tto, to_csv(english, MIXED_HEADERS), "listings.csv")
    assert (counts(report), report["ignored_columns"]) == ((25, 0, 0, 0), [])

    chinese = import_report(client, actors.tto, to_csv(rows, CHINESE_HEADERS))

    assert counts(chinese) == (0, 0, 25, 0)


# --- JSONL --------------------------------------------------------------------------------


def test_jsonl_with_nested_licence_imports_and_rejects_a_bad_json_line(
    client: TestClient, actors: Actors
) -> None:
    rows = [valid_row(i) for i in range(10)]
    lines = to_jsonl(rows).decode().splitlines()
    lines.insert(3, '{"patent_number": "201910600001.5", "title": "缺少右括号"')
    lines.insert(6, "")  # a blank line is skipped but keeps the numbering of the lines after it
    content = "\n".join(lines).encode()

    report = import_report(client, actors.tto, content, "listings.jsonl")

    assert (report["format"], report["rows"], counts(report)) == ("jsonl", 11, (10, 0, 0, 1))
    [bad] = report["rejected"]
    assert (bad["row"], bad["field"]) == (4, "row")
    assert bad["msg"].startswith("line is not valid JSON: ")
    stored = listing_by_number(client, actors.tto, rows[2]["patent_number"])
    assert stored["licence"] == {
        "royalty_type": "entry_plus_percentage",
        "rate_percent": rows[2]["rate_percent"],
        "fixed_fee_yuan": None,
        "entry_fee_yuan": rows[2]["entry_fee_yuan"],
        "term_years": rows[2]["term_years"],
    }
    # The JSONL lines store exactly what the same rows as CSV store.
    assert counts(import_report(client, actors.tto, to_csv(rows))) == (0, 0, 10, 0)


def test_jsonl_line_with_a_licence_that_is_not_an_object_is_rejected(
    client: TestClient, actors: Actors
) -> None:
    rows = [valid_row(0), valid_row(1)]
    lines = to_jsonl(rows).decode().splitlines()
    lines[1] = lines[1].replace('"licence": {', '"licence": "提成", "x": {', 1)

    report = import_report(client, actors.tto, "\n".join(lines).encode(), "listings.jsonl")

    assert counts(report) == (1, 0, 0, 1)
    assert report["rejected"] == [
        {"row": 2, "field": "row", "column": None, "msg": "'licence' must be an object"}
    ]


# --- organisations ------------------------------------------------------------------------


def test_patent_listed_by_another_organisation_is_rejected_and_left_untouched(
    client: TestClient, actors: Actors
) -> None:
    ours = [valid_row(i) for i in range(5)]
    import_report(client, actors.tto, to_csv(ours))
    before = listing_by_number(client, actors.sme, ours[2]["patent_number"])
    theirs = [valid_row(i) for i in range(100, 104)]
    # The other university lists our patent, with its own text and terms.
    claimed = ours[2] | {"abstract": "另一所大学声称持有此专利。", "contact": "另一所大学 赵老师"}
    theirs.insert(1, claimed)

    report = import_report(client, actors.other_tto, to_csv(theirs))

    assert counts(report) == (4, 0, 0, 1)
    assert report["rejected"] == [
        {
            "row": 3,
            "field": "patent_number",
            "column": "专利号",
            "msg": f"patent {ours[2]['patent_number']} is already listed by another organisation",
        }
    ]
    assert listing_by_number(client, actors.sme, ours[2]["patent_number"]) == before
    assert holder_total(client, actors.sme, actors.tto) == 5
    assert holder_total(client, actors.sme, actors.other_tto) == 4


def test_all_or_nothing_import_clashing_with_another_organisation_writes_nothing(
    client: TestClient, actors: Actors
) -> None:
    ours = [valid_row(0)]
    import_report(client, actors.tto, to_csv(ours))
    theirs = [valid_row(i) for i in range(100, 104)] + ours

    report = import_report(client, actors.other_tto, to_csv(theirs), all_or_nothing=True)

    assert (rejected_rows(report), report["committed"]) == ([(6, "patent_number")], False)
    assert holder_total(client, actors.sme, actors.other_tto) == 0


# --- Chinese values -----------------------------------------------------------------------


def test_chinese_alias_values_numbers_and_dates_are_read_as_canonical_values(
    client: TestClient, actors: Actors
) -> None:
    base = {"abstract": "本发明公开了一种测试用的技术方案，性能稳定。", "ipc_codes": "G06F16/33"}
    numbers = [patent_number(2019, kind, 700_000 + i) for i, kind in enumerate((1, 2, 1, 2, 1))]
    rows: list[Row] = [
        base | {"patent_number": numbers[0], "title": "提成许可", "patent_type": "发明",
                "application_date": "2019/3/15", "grant_date": "2021年6月1日",
                "royalty_type": "提成", "rate_percent": "3%", "term_years": "3年"},
        base | {"patent_number": numbers[1], "title": "固定费用许可", "patent_type": "实用新型",
                "application_date": "2019年3月15日", "royalty_type": "固定费用",
                "fixed_fee_yuan": "5万"},
        base | {"patent_number": numbers[2], "title": "免费许可", "patent_type": "发明专利",
                "application_date": "2019.03.15", "royalty_type": "免费"},
        base | {"patent_number": numbers[3], "title": "面议许可", "patent_type": "实用新型专利",
                "application_date": "20190315", "royalty_type": "面议"},
        base | {"patent_number": numbers[4], "title": "入门费加提成许可", "patent_type": "发明",
                "application_date": "2019-3-15", "royalty_type": "入门费+提成",
                "entry_fee_yuan": "5万元", "rate_percent": "2.5％"},
    ]  # fmt: skip

    report = import_report(client, actors.tto, to_csv(rows))

    assert counts(report) == (5, 0, 0, 0)
    stored = [listing_by_number(client, actors.tto, n) for n in numbers]
    assert [(s["patent_type"], s["application_date"], s["licence"]) for s in stored] == [
        (
            "invention",
            "2019-03-15",
            {"royalty_type": "percentage", "rate_percent": 3.0, "fixed_fee_yuan": None,
             "entry_fee_yuan": None, "term_years": 3},
        ),
        (
            "utility_model",
            "2019-03-15",
            {"royalty_type": "fixed", "rate_percent": None, "fixed_fee_yuan": 50000.0,
             "entry_fee_yuan": None, "term_years": None},
        ),
        (
            "invention",
            "2019-03-15",
            {"royalty_type": "free", "rate_percent": None, "fixed_fee_yuan": None,
             "entry_fee_yuan": None, "term_years": None},
        ),
        (
            "utility_model",
            "2019-03-15",
            {"royalty_type": "negotiable", "rate_percent": None, "fixed_fee_yuan": None,
             "entry_fee_yuan": None, "term_years": None},
        ),
        (
            "invention",
            "2019-03-15",
            {"royalty_type": "entry_plus_percentage", "rate_percent": 2.5,
             "fixed_fee_yuan": None, "entry_fee_yuan": 50000.0, "term_years": None},
        ),
    ]  # fmt: skip
    assert stored[0]["grant_date"] == "2021-06-01"
    assert [s["ipc_codes"] for s in stored] == [["G06F 16/33"]] * 5
    assert [s["expiry_date"] for s in stored] == [
        "2039-03-15", "2029-03-15", "2039-03-15", "2029-03-15", "2039-03-15"
    ]  # fmt: skip


def test_xlsx_percentage_cells_are_read_as_the_percent_the_sheet_shows(
    client: TestClient, actors: Actors
) -> None:
    # Typing 3% into Excel stores 0.03 in a cell formatted as a percentage.
    rows = [valid_row(i) for i in (0, 2)]
    assert [r["royalty_type"] for r in rows] == ["提成", "入门费+提成"]
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx(rows)))
    sheet = workbook.active
    rate_column = list(CHINESE_HEADERS).index("rate_percent") + 1
    for sheet_row, rate in ((2, 0.03), (3, 0.035)):
        cell = sheet.cell(row=sheet_row, column=rate_column, value=rate)
        cell.number_format = "0.0%"
    buffer = io.BytesIO()
    workbook.save(buffer)

    report = import_report(client, actors.tto, buffer.getvalue(), "清单.xlsx")

    assert counts(report) == (2, 0, 0, 0)
    rates = [
        listing_by_number(client, actors.tto, r["patent_number"])["licence"]["rate_percent"]
        for r in rows
    ]
    assert rates == [3.0, 3.5]


def test_unreadable_date_and_number_are_rejected_on_their_column(
    client: TestClient, actors: Actors
) -> None:
    rows = [
        valid_row(0) | {"application_date": "去年三月"},
        valid_row(1) | {"fixed_fee_yuan": "五万"},
    ]
    assert rows[1]["royalty_type"] == "固定费用"

    report = import_report(client, actors.tto, to_csv(rows))

    assert report["rejected"] == [
        {
            "row": 2,
            "field": "application_date",
            "column": "申请日",
            "msg": "column '申请日': '去年三月' is not a date such as 2017-07-25",
        },
        {
            "row": 3,
            "field": "fixed_fee_yuan",
            "column": "固定费用（元）",
            "msg": "column '固定费用（元）': '五万' is not a number; write a number such as "
            "1.5万元",
        },
    ]
