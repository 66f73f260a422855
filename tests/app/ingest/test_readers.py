import csv
import io
import json
import os
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from defusedxml import EntitiesForbidden

from app.core.errors import InvalidInput, PayloadTooLarge
from app.ingest.readers import (
    ImportLimits,
    ReadResult,
    SourceRow,
    decode_text,
    detect_format,
    read_file,
    read_rows,
)

_MB = 1024 * 1024
PATENT = "201710601862.3"
HEADER_ZH = ["专利号", "专利名称", "摘要", "专利类型", "提成比例(%)", "申请日"]
ROW_ZH = [PATENT, "一种锂电池正极材料", "本发明公开了……", "发明专利", "3.5", "2017-07-21"]
VALUES_ZH: dict[str, object] = {
    "patent_number": PATENT,
    "title": "一种锂电池正极材料",
    "abstract": "本发明公开了……",
    "patent_type": "发明专利",
    "rate_percent": "3.5",
    "application_date": "2017-07-21",
}


def _csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _csv(rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    return _csv_text(rows, delimiter).encode(encoding)


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _jsonl(lines: list[object]) -> bytes:
    return "\n".join(
        line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines
    ).encode()


def _english(rows: list[SourceRow]) -> list[SourceRow]:
    """Return the rows with each problem as its English text, for plain comparisons."""
    return [
        SourceRow(r.row, r.values, str(r.problem) if r.problem else None)  # type: ignore[arg-type]
        for r in rows
    ]


def _problem(error: pytest.ExceptionInfo[InvalidInput]) -> tuple[str, tuple[str | int, ...]]:
    return str(error.value.msg), error.value.problems[0].loc


# --- CSV -------------------------------------------------------------------------------


def test_csv_maps_chinese_headers_to_canonical_fields() -> None:
    result = read_file(_csv([HEADER_ZH, ROW_ZH]), "专利清单.csv")

    assert result == ReadResult([SourceRow(2, VALUES_ZH)], "csv", "utf-8", ())


def test_gbk_csv_reads_the_same_rows_as_utf8() -> None:
    utf8 = read_file(_csv([HEADER_ZH, ROW_ZH]), "list.csv")
    gbk = read_file(_csv([HEADER_ZH, ROW_ZH], encoding="gbk"), "list.csv")

    assert gbk.rows == utf8.rows
    assert gbk.encoding == "gb18030"


def test_utf8_bom_does_not_stick_to_the_first_header() -> None:
    result = read_file(_csv([HEADER_ZH, ROW_ZH], encoding="utf-8-sig"), "list.csv")

    assert result.rows == [SourceRow(2, VALUES_ZH)]
    assert result.encoding == "utf-8-sig"


def test_utf16_tab_delimited_unicode_text_is_read() -> None:
    content = _csv([HEADER_ZH, ROW_ZH], encoding="utf-16", delimiter="\t")

    result = read_file(content, "list.txt")

    assert result.rows == [SourceRow(2, VALUES_ZH)]
    assert result.encoding == "utf-16"


def test_semicolon_delimiter_is_sniffed_when_header_has_no_commas() -> None:
    content = _csv([["专利号", "专利名称"], [PATENT, "名称一"]], delimiter=";")

    assert read_rows(content, "list.csv") == [
        SourceRow(2, {"patent_number": PATENT, "title": "名称一"})
    ]


def test_tsv_extension_reads_tabs_even_when_cells_hold_commas() -> None:
    content = _csv([["专利号", "摘要"], [PATENT, "a, b"]], delimiter="\t")

    assert read_rows(content, "list.tsv") == [
        SourceRow(2, {"patent_number": PATENT, "abstract": "a, b"})
    ]


def test_multiline_quoted_cell_is_one_row_and_later_rows_keep_spreadsheet_numbers() -> None:
    content = _csv([["专利号", "摘要"], ["CN1", "第一行\n第二行\n第三行"], ["CN2", "单行"]])

    assert read_rows(content, "list.csv") == [
        SourceRow(2, {"patent_number": "CN1", "abstract": "第一行\n第二行\n第三行"}),
        SourceRow(3, {"patent_number": "CN2", "abstract": "单行"}),
    ]


def test_blank_rows_are_skipped_but_still_counted() -> None:
    content = b"patent_number,title\r\nCN1,a\r\n\r\n,\r\n , \r\nCN2,b\r\n"

    assert read_rows(content, "list.csv") == [
        SourceRow(2, {"patent_number": "CN1", "title": "a"}),
        SourceRow(6, {"patent_number": "CN2", "title": "b"}),
    ]


def test_values_are_stripped_and_empty_cells_are_absent() -> None:
    content = _csv([["专利号", "专利名称", "摘要"], ["  CN1 ", "", "  "]])

    assert read_rows(content, "list.csv") == [SourceRow(2, {"patent_number": "CN1"})]


def test_unknown_columns_are_ignored_and_reported_once() -> None:
    content = _csv(
        [["序号", "专利号", "备注", ""], ["1", "CN1", "note", "x"], ["2", "CN2", "", ""]]
    )

    result = read_file(content, "list.csv")

    assert result.rows == [
        SourceRow(2, {"patent_number": "CN1"}),
        SourceRow(3, {"patent_number": "CN2"}),
    ]
    assert result.ignored_columns == ("序号", "备注")


def test_title_row_above_the_header_is_skipped() -> None:
    content = _csv([["XX大学专利开放许可清单", ""], ["专利号", "名称"], ["CN1", "a"]])

    assert read_rows(content, "list.csv") == [SourceRow(3, {"patent_number": "CN1", "title": "a"})]


def test_missing_patent_number_column_is_refused_naming_headers_and_accepted_names() -> None:
    content = _csv([["名称", "备注"], ["a", "b"]])

    with pytest.raises(InvalidInput) as error:
        read_rows(content, "list.csv")

    assert _problem(error) == (
        "no patent number column; the header row has '名称', '备注'; name one column "
        "patent_number, 专利号, 申请号, 专利申请号, 申请号(专利号), 专利号/申请号, "
        "专利编号, 专利(申请)号, "
        "patent number, patent no, application number, application no",
        ("file",),
    )


def test_file_with_only_blank_lines_is_refused_for_missing_header() -> None:
    with pytest.raises(InvalidInput) as error:
        read_rows(b"\r\n,,\r\n", "list.csv")

    assert _problem(error) == ("the file has no header row", ("file",))


def test_two_columns_for_one_field_are_refused() -> None:
    content = _csv([["专利号", "申请号"], ["CN1", "CN1"]])

    with pytest.raises(InvalidInput) as error:
        read_rows(content, "list.csv")

    assert _problem(error) == (
        "columns '专利号' and '申请号' both mean patent_number; keep only one",
        ("file",),
    )


def test_contact_columns_are_joined() -> None:
    content = _csv([["专利号", "联系人", "联系电话"], ["CN1", "王老师", "010-1234"]])

    assert read_rows(content, "list.csv") == [
        SourceRow(2, {"patent_number": "CN1", "contact": "王老师; 010-1234"})
    ]


def test_row_with_values_beyond_the_header_gets_a_problem() -> None:
    content = b"patent_number,title\r\nCN1,a,b\r\nCN2,c,,\r\n"

    assert _english(read_rows(content, "list.csv")) == [
        SourceRow(
            2,
            {"patent_number": "CN1", "title": "a"},
            "the row has values beyond the last header column; is a comma unquoted?",
        ),
        SourceRow(3, {"patent_number": "CN2", "title": "c"}),
    ]


def test_csv_values_are_kept_verbatim_without_evaluating_formulas() -> None:
    content = _csv([["专利号", "名称"], ["CN1", "=1+1"]])

    assert read_rows(content, "list.csv") == [
        SourceRow(2, {"patent_number": "CN1", "title": "=1+1"})
    ]


def test_csv_with_nul_bytes_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        read_rows(b"patent_number\r\nCN1\x00\x00\r\n", "list.csv")

    assert _problem(error) == ("the .csv file contains binary data, not text", ("file",))


def test_csv_of_control_characters_is_refused() -> None:
    content = b"patent_number\r\n" + bytes(range(1, 9)) * 20

    with pytest.raises(InvalidInput) as error:
        read_rows(content, "list.csv")

    assert _problem(error) == ("the file contains binary data, not text", ("file",))


def test_csv_that_is_really_a_workbook_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        read_rows(_xlsx([["专利号"], ["CN1"]]), "list.csv")

    assert _problem(error) == (
        "the .csv file is a zip archive (an Excel workbook?); name it .xlsx or export it as CSV",
        ("file",),
    )


def test_csv_in_neither_utf8_nor_gbk_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        read_rows("patent_number,title\r\nCN1,café\r\n".encode("latin-1"), "list.csv")

    assert _problem(error) == (
        "the file is not UTF-8 or GBK text; save it as 'CSV UTF-8' and upload it again",
        ("file",),
    )


def test_empty_file_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        read_rows(b"", "list.csv")

    assert _problem(error) == ("the file is empty", ("file",))


def test_ten_megabyte_cell_is_refused_naming_row_and_column() -> None:
    content = _csv([["专利号", "摘要"], ["CN1", "短"], ["CN2", "x" * 10_000_000]])

    with pytest.raises(InvalidInput) as error:
        read_rows(content, "list.csv")

    assert _problem(error) == (
        "row 3, column '摘要': the cell has 10,000,000 characters; the limit is 100,000",
        ("rows", 3, "abstract"),
    )


def test_more_rows_than_the_limit_are_refused() -> None:
    content = _csv([["专利号"], ["CN1"], ["CN2"], ["CN3"], ["CN4"]])

    with pytest.raises(PayloadTooLarge) as error:
        read_rows(content, "list.csv", ImportLimits(max_rows=3))

    assert _problem(error) == (
        "the file has more than 3 data rows; split it into smaller files",
        ("file",),
    )


def test_rows_up_to_the_limit_are_read() -> None:
    content = _csv([["专利号"], ["CN1"], ["CN2"], ["CN3"]])

    assert len(read_rows(content, "list.csv", ImportLimits(max_rows=3))) == 3


def test_file_over_the_byte_limit_is_refused() -> None:
    content = _csv([["专利号"], ["CN1"]])

    with pytest.raises(PayloadTooLarge) as error:
        read_rows(content + b" " * (2 * _MB), "list.csv", ImportLimits(max_bytes=_MB))

    assert _problem(error) == ("the file is 2.0 MB; the limit is 1 MB", ("file",))


# --- format detection and decoding ----------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("a.csv", "csv"),
        ("A.CSV", "csv"),
        ("a.tsv", "csv"),
        ("a.txt", "csv"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
    ],
)
def test_text_format_comes_from_the_extension(filename: str, expected: str) -> None:
    assert detect_format(b"patent_number\n", filename) == expected


def test_xlsx_format_needs_a_zip() -> None:
    assert detect_format(_xlsx([["专利号"]]), "清单.xlsx") == "xlsx"


@pytest.mark.parametrize("filename", ["list.pdf", "list"])
def test_unknown_extension_is_refused_listing_supported_ones(filename: str) -> None:
    with pytest.raises(InvalidInput) as error:
        detect_format(b"patent_number\n", filename)

    extension = "'.pdf'" if filename.endswith(".pdf") else "'(none)'"
    assert _problem(error) == (
        f"unsupported file type {extension}; upload one of .csv, .tsv, .txt, .xlsx, .jsonl, "
        ".ndjson",
        ("file",),
    )


def test_xls_extension_asks_for_xlsx_or_csv() -> None:
    with pytest.raises(InvalidInput) as error:
        detect_format(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "list.xls")

    assert _problem(error) == (
        "old Excel .xls files are not supported; save the sheet as .xlsx or CSV (UTF-8)",
        ("file",),
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("专利号".encode(), ("专利号", "utf-8")),
        ("专利号".encode("utf-8-sig"), ("专利号", "utf-8-sig")),
        ("专利号".encode("gbk"), ("专利号", "gb18030")),
        ("专利号".encode("utf-16"), ("专利号", "utf-16")),
        (b"\xfe\xff" + "专利号".encode("utf-16-be"), ("专利号", "utf-16")),
    ],
)
def test_decode_text_detects_the_encoding(content: bytes, expected: tuple[str, str]) -> None:
    assert decode_text(content) == expected


# --- XLSX ------------------------------------------------------------------------------


def test_xlsx_rows_keep_spreadsheet_numbers_and_skip_empty_rows() -> None:
    content = _xlsx([["专利号", "名称"], ["CN1", "a"], [None, None], ["", "  "], ["CN2", "b"]])

    assert read_file(content, "list.xlsx") == ReadResult(
        [
            SourceRow(2, {"patent_number": "CN1", "title": "a"}),
            SourceRow(5, {"patent_number": "CN2", "title": "b"}),
        ],
        "xlsx",
        None,
        (),
    )


def test_xlsx_header_below_empty_rows_keeps_sheet_row_numbers() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["B3"], sheet["C3"] = "专利号", "名称"
    sheet["B4"], sheet["C4"] = "CN1", "a"
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert read_rows(buffer.getvalue(), "list.xlsx") == [
        SourceRow(4, {"patent_number": "CN1", "title": "a"})
    ]


def test_xlsx_float_patent_number_keeps_its_check_digit() -> None:
    content = _xlsx([["专利号"], [201710601862.3], [2017106018623]])

    assert read_rows(content, "list.xlsx") == [
        SourceRow(2, {"patent_number": "201710601862.3"}),
        SourceRow(3, {"patent_number": "2017106018623"}),
    ]


def test_xlsx_dates_become_dates_and_numbers_stay_numbers() -> None:
    content = _xlsx(
        [
            ["专利号", "申请日", "授权日", "提成比例(%)", "许可期限(年)"],
            ["CN1", datetime(2017, 7, 21, 0, 0), date(2019, 3, 1), 3.5, 5],
        ]
    )

    assert read_rows(content, "list.xlsx") == [
        SourceRow(
            2,
            {
                "patent_number": "CN1",
                "application_date": date(2017, 7, 21),
                "grant_date": date(2019, 3, 1),
                "rate_percent": 3.5,
                "term_years": 5,
            },
        )
    ]


def test_xlsx_reads_only_the_first_worksheet() -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["专利号"])
    workbook.active.append(["CN1"])
    other = workbook.create_sheet("说明")
    other.append(["专利号"])
    other.append(["CN9"])
    workbook.active = 1
    buffer = io.BytesIO()
    workbook.save(buffer)

    assert read_rows(buffer.getvalue(), "list.xlsx") == [SourceRow(2, {"patent_number": "CN1"})]


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    chunk = bytes(_MB)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(200):
                member.write(chunk)
    return buffer.getvalue()


def test_zip_bomb_posing_as_xlsx_is_refused_before_it_is_parsed(zip_bomb: bytes) -> None:
    assert len(zip_bomb) < _MB

    with pytest.raises(InvalidInput) as error:
        read_rows(zip_bomb, "list.xlsx")

    msg, loc = _problem(error)
    assert msg.startswith("the workbook member 'xl/worksheets/sheet1.xml' is compressed ")
    assert msg.endswith(":1, over the 100:1 limit; the file looks like a zip bomb")
    assert loc == ("file",)


def test_xlsx_unpacking_past_the_limit_is_refused() -> None:
    content = _zip({"xl/workbook.xml": b"<workbook/>", "xl/media/image1.bin": os.urandom(_MB * 2)})

    with pytest.raises(PayloadTooLarge) as error:
        read_rows(content, "list.xlsx", ImportLimits(max_xlsx_uncompressed_bytes=_MB))

    assert _problem(error) == ("the workbook unpacks to 2.0 MB; the limit is 1 MB", ("file",))


def test_xlsx_with_xml_entity_expansion_is_refused() -> None:
    sheet_path = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(io.BytesIO(_xlsx([["专利号"], ["CN1"]]))) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members[sheet_path] = (
        b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "ha">'
        b'<!ENTITY b "&a;&a;&a;&a;">]>' + members[sheet_path].replace(b"CN1", b"&b;")
    )

    with pytest.raises(InvalidInput) as error:
        read_rows(_zip(members), "list.xlsx")

    assert str(error.value.msg) == (
        "the workbook cannot be read (ValueError: Unable to read workbook: could not read "
        "worksheets from None.); open it in Excel and save it again as .xlsx"
    )
    assert isinstance(error.value.__cause__, ValueError)
    assert isinstance(error.value.__cause__.__cause__, EntitiesForbidden)


def test_xlsx_of_random_bytes_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        read_rows(os.urandom(4096), "list.xlsx")

    assert _problem(error) == ("the file is not an Excel .xlsx workbook", ("file",))


def test_truncated_zip_is_refused() -> None:
    content = _xlsx([["专利号"], ["CN1"]])

    with pytest.raises(InvalidInput) as error:
        read_rows(content[: len(content) // 2], "list.xlsx")

    assert str(error.value.msg).startswith("the file is not a valid .xlsx workbook: ")


def test_zip_without_a_workbook_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        read_rows(_zip({"word/document.xml": b"<document/>"}), "list.xlsx")

    assert _problem(error) == ("the file is a zip archive but not an .xlsx workbook", ("file",))


def test_corrupt_workbook_parts_become_invalid_input() -> None:
    content = _zip({"[Content_Types].xml": b"not xml", "xl/workbook.xml": b"<<<"})

    with pytest.raises(InvalidInput) as error:
        read_rows(content, "list.xlsx")

    assert str(error.value.msg).startswith("the workbook cannot be read (")
    assert str(error.value.msg).endswith("); open it in Excel and save it again as .xlsx")


def test_password_protected_xlsx_gets_a_specific_message() -> None:
    with pytest.raises(InvalidInput) as error:
        read_rows(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "list.xlsx")

    assert _problem(error) == (
        "this .xlsx file is password-protected or is really an old .xls file; "
        "remove the password or save it as .xlsx again",
        ("file",),
    )


def test_xlsx_over_long_cell_is_refused_naming_row_and_column() -> None:
    content = _xlsx([["专利号", "权利要求书"], ["CN1", "x" * 101]])

    with pytest.raises(InvalidInput) as error:
        read_rows(content, "list.xlsx", ImportLimits(max_cell_chars=100))

    assert _problem(error) == (
        "row 2, column '权利要求书': the cell has 101 characters; the limit is 100",
        ("rows", 2, "claims"),
    )


# --- JSONL -----------------------------------------------------------------------------


def test_jsonl_reads_objects_by_line_number_and_flattens_the_licence() -> None:
    content = _jsonl(
        [
            {
                "patent_number": PATENT,
                "title": " 一种锂电池 ",
                "ipc_codes": ["H01M4/00"],
                "licence": {"type": "percentage", "rate_percent": 3.5, "term_years": 5},
            },
            "",
            {"专利号": "CN2", "摘要": "", "联系人": None, "licence": None},
        ]
    )

    assert read_file(content, "list.jsonl") == ReadResult(
        [
            SourceRow(
                1,
                {
                    "patent_number": PATENT,
                    "title": "一种锂电池",
                    "ipc_codes": ["H01M4/00"],
                    "royalty_type": "percentage",
                    "rate_percent": 3.5,
                    "term_years": 5,
                },
            ),
            SourceRow(3, {"patent_number": "CN2"}),
        ],
        "jsonl",
        "utf-8",
        (),
    )


def test_jsonl_bad_line_becomes_a_row_problem() -> None:
    content = _jsonl(
        [{"patent_number": "CN1"}, '{"patent_number": "CN2",', {"patent_number": "CN3"}]
    )

    assert _english(read_rows(content, "list.jsonl")) == [
        SourceRow(1, {"patent_number": "CN1"}),
        SourceRow(
            2,
            {},
            "line is not valid JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 25 (char 24)",
        ),
        SourceRow(3, {"patent_number": "CN3"}),
    ]


def test_jsonl_line_that_is_not_an_object_becomes_a_row_problem() -> None:
    assert _english(read_rows(_jsonl([["CN1"]]), "list.ndjson")) == [
        SourceRow(1, {}, "line is a JSON list, not an object")
    ]


def test_jsonl_keys_naming_one_field_twice_become_a_row_problem() -> None:
    content = _jsonl([{"patent_number": "CN1", "专利号": "CN2", "licence": "free"}])

    assert _english(read_rows(content, "list.jsonl")) == [
        SourceRow(
            1,
            {"patent_number": "CN1"},
            "'licence' must be an object; keys 'patent_number' and '专利号' both mean "
            "patent_number",
        )
    ]


def test_jsonl_unknown_keys_are_reported_once_in_first_seen_order() -> None:
    content = _jsonl(
        [
            {"patent_number": "CN1", "remark": "a", "licence": {"notes": "b"}},
            {"patent_number": "CN2", "id": 7, "remark": "c"},
        ]
    )

    assert read_file(content, "list.jsonl").ignored_columns == ("remark", "licence.notes", "id")


def test_jsonl_numeric_patent_number_becomes_text() -> None:
    content = b'{"patent_number": 201710601862.3}\n'

    assert read_rows(content, "list.jsonl") == [SourceRow(1, {"patent_number": "201710601862.3"})]


def test_jsonl_more_lines_than_the_limit_are_refused() -> None:
    content = _jsonl([{"patent_number": f"CN{i}"} for i in range(3)])

    with pytest.raises(PayloadTooLarge) as error:
        read_rows(content, "list.jsonl", ImportLimits(max_rows=2))

    assert _problem(error) == (
        "the file has more than 2 lines; split it into smaller files",
        ("file",),
    )


def test_sheet_xml_broken_past_the_first_rows_becomes_invalid_input() -> None:
    sheet_path = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(io.BytesIO(_xlsx([["专利号"], ["CN1"]]))) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members[sheet_path] = members[sheet_path].replace(b"</sheetData>", b"</sheetDat>")

    with pytest.raises(InvalidInput) as error:
        read_rows(_zip(members), "list.xlsx")

    assert str(error.value.msg).startswith(
        "the workbook cannot be read (ParseError: mismatched tag"
    )
