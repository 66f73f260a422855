"""Headers merged over several columns, in XLSX (mergeCells) and in the CSV Excel exports."""

import io

import openpyxl

from app.ingest.readers import read_file


def _csv(rows: list[list[str]]) -> bytes:
    return "\r\n".join(",".join(row) for row in rows).encode() + b"\r\n"


def _xlsx(rows: list[list[object]], merges: list[str]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for merge in merges:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_csv_empty_header_after_contact_continues_it() -> None:
    result = read_file(_csv([["专利号", "联系人", ""], ["CN1", "王老师", "0571-1"]]), "a.csv")

    assert [r.values for r in result.rows] == [
        {"patent_number": "CN1", "contact": "王老师; 0571-1"}
    ]
    assert result.ignored_columns == ()


def test_xlsx_merged_contact_over_name_and_phone_keeps_both_with_their_sub_headers() -> None:
    content = _xlsx(
        [["专利号", "联系人", None], [None, "姓名", "电话"], ["CN1", "王老师", "0571-1"]],
        ["A1:A2", "B1:C1"],
    )

    result = read_file(content, "a.xlsx")

    [row] = result.rows
    assert (row.row, row.values) == (3, {"patent_number": "CN1", "contact": "王老师; 0571-1"})
    # 电话 is a contact header itself; 姓名 is labelled by the header above it.
    assert row.columns["contact"].header == "联系人/姓名、电话"
    assert [str(note) for note in result.notes] == [
        "the 2 columns under the header '联系人' (联系人/姓名、电话) are joined into the contact"
    ]


def test_xlsx_empty_header_that_is_not_merged_is_reported_once_it_has_data() -> None:
    content = _xlsx([["专利号", None, "名称"], ["CN1", "丢失的内容", "a"], ["CN2", None, "b"]], [])

    result = read_file(content, "a.xlsx")

    assert result.ignored_columns == ("(B)",)
    assert result.rows[0].stray == {"(B)": "丢失的内容"}


def test_second_column_under_a_merged_one_column_header_is_reported_not_merged() -> None:
    content = _xlsx([["专利号", "专利名称", None], ["CN1", "标题", "副标题"]], ["B1:C1"])

    result = read_file(content, "a.xlsx")

    assert result.rows[0].values == {"patent_number": "CN1", "title": "标题"}
    assert result.ignored_columns == ("专利名称 (C)",)


def test_sub_headers_that_name_fields_give_their_columns_field_and_unit() -> None:
    content = _xlsx(
        [
            ["专利号", "许可使用费", None],
            [None, "入门费（万元）", "提成比例（%）"],
            ["CN1", 2, 3],
        ],
        ["A1:A2", "B1:C1"],
    )

    [row] = read_file(content, "a.xlsx").rows

    assert row.values == {"patent_number": "CN1", "entry_fee_yuan": 2, "rate_percent": 3}
    assert (row.columns["entry_fee_yuan"].header, row.columns["entry_fee_yuan"].unit) == (
        "入门费（万元）",
        "万元",
    )


def test_a_data_row_under_the_header_is_not_taken_for_a_sub_header() -> None:
    result = read_file(_csv([["专利号", "联系人", ""], ["CN1", "王老师", "0571-1"]]), "a.csv")

    assert [r.row for r in result.rows] == [2]
