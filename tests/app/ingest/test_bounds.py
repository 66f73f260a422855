"""Files that pass the size limits yet would cost minutes or gigabytes: refused, bounded."""

import io
import zipfile

import pytest

from app.core.errors import InvalidInput, PayloadTooLarge
from app.ingest.readers import ImportLimits, read_file, read_rows
from tests.app.import_files import inline_row, shared_strings_part, workbook_with_sheet

_MB = 1024 * 1024


def _refusal(error: pytest.ExceptionInfo[InvalidInput]) -> tuple[str, str, tuple[str | int, ...]]:
    msg = error.value.problems[0].msg
    assert not isinstance(msg, str)
    return msg.en, msg.zh, error.value.problems[0].loc


def test_xlsx_of_blank_rows_past_the_sheet_row_limit_is_refused_before_it_is_parsed() -> None:
    # Without a <dimension>, openpyxl parses the whole sheet on load: counted first instead.
    rows = inline_row(1, ("A1", "专利号")) + "".join(f'<row r="{n}"/>' for n in range(2, 5002))
    content = workbook_with_sheet(rows)

    with pytest.raises(PayloadTooLarge) as error:
        read_rows(content, "list.xlsx", ImportLimits(max_sheet_rows=1000))

    assert _refusal(error) == (
        "the sheet 'sheet1.xml' has 5,001 rows and 1 cells, blank ones included; the limits "
        "are 1,000 rows and 1,000,000 cells; delete the blank rows and columns or split the file",
        "工作表“sheet1.xml”有 5,001 行、1 个单元格（含空行），上限为 1,000 行、1,000,000 个单元格；"
        "请删除多余的空行和列，或把文件拆小",
        ("file",),
    )


def test_xlsx_of_too_many_cells_is_refused_before_it_is_parsed() -> None:
    cells = [(f"A{n}", "x") for n in range(2, 200)]
    content = workbook_with_sheet(inline_row(1, ("A1", "专利号"), *cells))

    with pytest.raises(PayloadTooLarge) as error:
        read_rows(content, "list.xlsx", ImportLimits(max_sheet_cells=100))

    assert _refusal(error)[0].startswith("the sheet 'sheet1.xml' has 1 rows and 199 cells")


def test_xlsx_row_a_million_rows_down_is_refused_without_reading_the_gap() -> None:
    # openpyxl yields an empty row for every missing one: the gap itself is the attack.
    content = workbook_with_sheet(
        inline_row(1, ("A1", "专利号")) + inline_row(1_300_000, ("A1300000", "CN1"))
    )

    with pytest.raises(PayloadTooLarge) as error:
        read_rows(content, "list.xlsx")

    assert _refusal(error)[0].startswith("the file has more than 50,000 rows, blank ones")


def test_blank_rows_within_the_sheet_row_limit_are_skipped() -> None:
    rows = (
        inline_row(1, ("A1", "专利号"))
        + "".join(f'<row r="{n}"/>' for n in range(2, 900))
        + inline_row(900, ("A900", "CN1"))
    )

    assert [r.row for r in read_rows(workbook_with_sheet(rows), "list.xlsx")] == [900]


def test_xlsx_with_a_shared_strings_part_over_its_limit_is_refused_before_it_is_loaded() -> None:
    content = workbook_with_sheet(inline_row(1, ("A1", "专利号")), shared_strings_part(2 * _MB))

    with pytest.raises(PayloadTooLarge) as error:
        read_rows(content, "list.xlsx", ImportLimits(max_shared_strings_bytes=1 * _MB))

    assert _refusal(error) == (
        "the workbook's shared strings unpack to 2.0 MB; the limit is 1 MB; delete the columns "
        "or sheets you do not need, or split the file",
        "工作簿的共享字符串部分解压后为 2.0 MB，上限为 1 MB；"
        "请删去不需要的列或工作表，或把文件拆小",
        ("file",),
    )


def test_shared_strings_part_named_by_content_types_is_capped_whatever_its_name() -> None:
    content = workbook_with_sheet(inline_row(1, ("A1", "专利号")))
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/strings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            target.writestr(member.filename, data)
        target.writestr("xl/strings.xml", shared_strings_part(2 * _MB))

    with pytest.raises(PayloadTooLarge):
        read_rows(buffer.getvalue(), "list.xlsx", ImportLimits(max_shared_strings_bytes=_MB))


def test_header_row_wider_than_the_column_limit_is_refused() -> None:
    content = ("专利号," + ",".join(f"c{i}" for i in range(600)) + "\r\nCN1\r\n").encode()

    with pytest.raises(PayloadTooLarge) as error:
        read_rows(content, "list.csv")

    assert _refusal(error) == (
        "row 1 has more than 500 columns; delete the columns you do not need",
        "第 1 行超过 500 列；请删除不需要的列",
        ("file",),
    )


def test_trailing_empty_cells_past_the_column_limit_are_harmless() -> None:
    content = ("专利号" + "," * 2000 + "\r\nCN1\r\n").encode()

    assert [r.values for r in read_rows(content, "list.csv")] == [{"patent_number": "CN1"}]


def test_xlsx_cell_far_right_is_refused_as_too_wide() -> None:
    content = workbook_with_sheet(
        inline_row(1, ("A1", "专利号")) + inline_row(2, ("A2", "CN1"), ("XFD2", "x"))
    )

    with pytest.raises(PayloadTooLarge) as error:
        read_rows(content, "list.xlsx")

    assert _refusal(error)[0] == (
        "row 2 has more than 500 columns; delete the columns you do not need"
    )


def test_ignored_columns_are_capped_and_counted() -> None:
    headers = ["专利号", *(f"备注{i}" for i in range(300))]
    content = (",".join(headers) + "\r\nCN1\r\n").encode()

    result = read_file(content, "list.csv")

    assert (len(result.ignored_columns), result.ignored_total) == (50, 300)
    assert result.ignored_columns[:2] == ("备注0", "备注1")


def test_jsonl_object_with_more_keys_than_the_column_limit_is_a_row_problem() -> None:
    line = "{" + ",".join(f'"k{i}": 1' for i in range(600)) + "}"

    [row] = read_rows(line.encode(), "list.jsonl")

    assert str(row.problem) == "the line's object has 600 keys; the limit is 500"
