"""Turn an uploaded CSV, XLSX or JSONL file into raw rows keyed by canonical field.

This layer parses and maps headers only; turning values into listings (and reporting bad
values per row) is the validating layer's job. The API:

    read_file(content, filename, limits=DEFAULT_LIMITS) -> ReadResult
        ReadResult(rows, format, encoding, ignored_columns, ignored_total, unstored_columns,
                   notes)
    read_rows(content, filename, limits=DEFAULT_LIMITS) -> list[SourceRow]   # read_file().rows
    detect_format(content, filename) -> "csv" | "xlsx" | "jsonl"
    decode_text(content) -> (text, encoding)

File-level failures raise `InvalidInput` (loc `("file",)`, or `("rows", row, field)` for an
over-long cell) or `PayloadTooLarge`, in Chinese and English; a parser's own exception never
escapes.

Rows:
- `SourceRow.row` is the number the user sees: the spreadsheet row (header = 1 when it is the
  first row) for CSV and XLSX, the 1-based line number for JSONL. Empty rows and blank lines
  are skipped but still counted, against `max_sheet_rows`: reading stops there, so a sheet
  of a million blank rows costs a refusal, not a minute.
- `values` holds only present values: strings are stripped and empty ones dropped. CSV gives
  `str`; XLSX gives `str`, `int`, `float`, `bool` or `date` (datetimes become dates; a number
  in a percentage-formatted cell becomes the text the sheet shows, `3%` for 0.03); JSONL
  gives any JSON value, with a nested `licence` object flattened into `royalty_type`,
  `rate_percent`, ... (its `type` key is `royalty_type`).
- `columns` says, per field, the column it came from (the header as the user wrote it, and
  the unit the header states); `stray` holds the text of cells in ignored columns, so that a
  row missing a field can say "your 项目名称 column has text: rename it 专利名称".
- `problem` is set when a row could not be read as a whole: a JSONL line that is not a JSON
  object (then `values` is empty), a JSONL `licence` that is not an object, two keys of one
  JSONL object naming the same field, or a CSV/XLSX row with values beyond the last header. The
  validating layer reports it as that row's problem.
- Several contact columns (`联系人` and `联系电话`, or the columns under a merged `联系人`) are
  joined with "; "; any other field named by two columns is an error. See `app.ingest.layout`
  for merged headers and sub-header rows.
- Unknown columns (and unknown JSONL keys) are ignored and reported once per file in
  `ReadResult.ignored_columns`, in first-seen order, the first 50 of them
  (`ignored_total` counts all); columns a listing knows but does not store (专利权人, 发明人)
  are in `unstored_columns`. An empty header is reported as its column letter, `(F)`, once a
  row has a value under it.
- A header row (or any row) wider than `max_columns` is refused.

Header row: the first non-empty row, unless it has no patent-number column and one of the next
few rows does (a title row above the header, common in Chinese templates).

Patent numbers that Excel stored as numbers come back as the shortest float repr, so
`201710601862.3` keeps its check digit; a check digit of 0 cannot survive (Excel keeps
`201710601862`), nor can an `X`, so the validating layer reports those as malformed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Final

from app.core.errors import InvalidInput, PayloadTooLarge
from app.core.i18n import Localized, tr
from app.ingest.cells import restore
from app.ingest.formats import SNIFF_CHARS, Format, check_text, decode_text, detect_format
from app.ingest.headers import accepted_headers, canonical_field, field_label
from app.ingest.jsonl import read_jsonl
from app.ingest.layout import (
    JOINED_FIELDS,
    Column,
    Layout,
    Span,
    build_layout,
    column_letter,
    continuation_spans,
    is_sub_header,
)
from app.ingest.rows import (
    DEFAULT_LIMITS,
    ImportLimits,
    SourceRow,
    check_cell_length,
    clean,
    is_blank,
    too_many_rows,
)
from app.ingest.xlsx import Merge, check_zip, open_sheet

_FILE: Final = ("file",)
_MB: Final = 1024 * 1024
_HEADER_SEARCH_ROWS: Final = 5
# Enough of an ignored cell to recognise it in a message.
_STRAY_CHARS: Final = 60
_STRAY_PER_ROW: Final = 5


@dataclass(frozen=True)
class ReadResult:
    """The rows of one file plus what the caller may want to warn about."""

    rows: list[SourceRow]
    format: Format
    encoding: str | None
    ignored_columns: tuple[str, ...] = ()
    ignored_total: int = 0
    unstored_columns: tuple[str, ...] = ()
    notes: tuple[Localized, ...] = field(default=(), compare=False)
    # The header of the (first) column of each field the file has.
    headers: Mapping[str, str] = field(default_factory=dict, compare=False)


def read_rows(
    content: bytes, filename: str, limits: ImportLimits = DEFAULT_LIMITS
) -> list[SourceRow]:
    """Return the data rows of an uploaded file."""
    return read_file(content, filename, limits).rows


def read_file(content: bytes, filename: str, limits: ImportLimits = DEFAULT_LIMITS) -> ReadResult:
    """Read an uploaded file into rows, with its format, encoding and ignored columns."""
    if len(content) > limits.max_bytes:
        raise PayloadTooLarge(
            tr(
                "文件大小为 {size:.1f} MB，上限为 {limit:g} MB；请把文件拆小",
                "the file is {size:.1f} MB; the limit is {limit:g} MB",
                size=len(content) / _MB,
                limit=limits.max_bytes / _MB,
            ),
            loc=_FILE,
        )
    fmt = detect_format(content, filename)
    if fmt == "xlsx":
        return _result(*_read_xlsx(content, limits), fmt, None)
    text, encoding = decode_text(content)
    check_text(text)
    if fmt == "jsonl":
        return _result(*read_jsonl(text, limits), fmt, encoding)
    return _result(*_read_delimited(text, filename.lower().endswith(".tsv"), limits), fmt, encoding)


def _result(rows: list[SourceRow], layout: Layout, fmt: Format, encoding: str | None) -> ReadResult:
    return ReadResult(
        rows,
        fmt,
        encoding,
        tuple(layout.ignored),
        layout.ignored_total,
        tuple(layout.unstored),
        tuple(layout.notes),
        layout.headers,
    )


# --- tables (CSV and XLSX) ---------------------------------------------------------------


def _read_delimited(
    text: str, is_tsv: bool, limits: ImportLimits
) -> tuple[list[SourceRow], Layout]:
    delimiter = "\t" if is_tsv else _sniff_delimiter(text)
    # Our own per-cell check must see an over-long cell first, to name its row and column;
    # any field fits in max_bytes characters.
    csv.field_size_limit(max(csv.field_size_limit(), limits.max_bytes))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    # Each record is one spreadsheet row, even when a quoted cell spans several lines.
    records = enumerate(reader, start=1)
    try:
        return _read_table(records, limits, None)
    except csv.Error as exc:
        raise InvalidInput(
            tr(
                "CSV 文件在第 {line} 行附近格式有误：{error}；请检查引号是否成对",
                "the CSV is malformed near line {line}: {error}",
                line=reader.line_num,
                error=exc,
            ),
            loc=_FILE,
        ) from exc


def _sniff_delimiter(text: str) -> str:
    first_line = next((line for line in text[:SNIFF_CHARS].splitlines() if line.strip()), "")
    if "," in first_line:
        return ","
    tabs, semicolons = first_line.count("\t"), first_line.count(";")
    if tabs == semicolons == 0:
        return ","
    return "\t" if tabs >= semicolons else ";"


def _read_xlsx(content: bytes, limits: ImportLimits) -> tuple[list[SourceRow], Layout]:
    with open_sheet(
        content,
        max_uncompressed=limits.max_xlsx_uncompressed_bytes,
        max_ratio=limits.max_xlsx_ratio,
        max_shared_strings=limits.max_shared_strings_bytes,
        max_columns=limits.max_columns,
        max_rows=limits.max_sheet_rows,
        max_cells=limits.max_sheet_cells,
    ) as (rows, merges):
        return _read_table(enumerate(rows, start=1), limits, merges)


def check_workbook(content: bytes, limits: ImportLimits) -> None:
    """Refuse a workbook from its zip directory alone, before anything is inflated."""
    check_zip(
        content,
        limits.max_xlsx_uncompressed_bytes,
        limits.max_xlsx_ratio,
        limits.max_shared_strings_bytes,
    )


def _read_table(
    records: Iterable[tuple[int, Sequence[object]]],
    limits: ImportLimits,
    merges: list[Merge] | None,
) -> tuple[list[SourceRow], Layout]:
    """Read a table; `merges` are an XLSX sheet's merged ranges, None for a CSV."""
    bounded = _bounded(records, limits)
    header_row, headers = _find_header(bounded)
    spans = _merged_spans(merges, header_row) if merges is not None else continuation_spans(headers)
    # A merge ending past the last written header cell still names the columns it covers.
    width = max([last + 1 for _, last in spans if last < limits.max_columns], default=0)
    headers += [""] * (width - len(headers))
    patent_column = [canonical_field(h) if h else None for h in headers].index("patent_number")
    sub_headers: list[str] | None = None
    first = next(bounded, None)
    if first is not None:
        texts = [_header_text(cell) for cell in first[1]]
        if first[0] == header_row + 1 and is_sub_header(texts, spans, patent_column):
            sub_headers = texts
        else:
            bounded = chain([first], bounded)
    layout = build_layout(headers, spans, sub_headers)
    _reject_duplicates(layout.columns)
    rows: list[SourceRow] = []
    for number, cells in bounded:
        if all(is_blank(cell) for cell in cells):
            continue
        if len(rows) == limits.max_rows:
            raise too_many_rows(limits, Localized("行数据", "data rows"))
        rows.append(_table_row(number, cells, layout, limits))
    return rows, layout


def _bounded(
    records: Iterable[tuple[int, Sequence[object]]], limits: ImportLimits
) -> Iterator[tuple[int, Sequence[object]]]:
    """Yield records while counting every row read and bounding each row's width."""
    for number, cells in records:
        if number > limits.max_sheet_rows:
            raise PayloadTooLarge(
                tr(
                    "文件超过 {limit:,} 行（空行也计算在内）；请删除多余的空行，或把文件拆小",
                    "the file has more than {limit:,} rows, blank ones included; delete the "
                    "blank rows or split the file",
                    limit=limits.max_sheet_rows,
                ),
                loc=_FILE,
            )
        yield number, _within_width(number, cells, limits.max_columns)


def _within_width(number: int, cells: Sequence[object], max_columns: int) -> Sequence[object]:
    if len(cells) <= max_columns:
        return cells
    last = next(
        i for i in range(len(cells), 0, -1) if i <= max_columns or not is_blank(cells[i - 1])
    )
    if last > max_columns:
        raise PayloadTooLarge(
            tr(
                "第 {row} 行超过 {limit:,} 列；请删除不需要的列",
                "row {row} has more than {limit:,} columns; delete the columns you do not need",
                row=number,
                limit=max_columns,
            ),
            loc=_FILE,
        )
    return cells[:max_columns]


def _merged_spans(merges: list[Merge], header_row: int) -> list[Span]:
    return sorted(
        (m.first_column, m.last_column)
        for m in merges
        if m.first_row <= header_row <= m.last_row and m.last_column > m.first_column
    )


def _header_text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _find_header(records: Iterator[tuple[int, Sequence[object]]]) -> tuple[int, list[str]]:
    """Return the header row's number and its headers (the first row with a patent number)."""
    first_headers: list[str] | None = None
    seen = 0
    for number, cells in records:
        if all(is_blank(cell) for cell in cells):
            continue
        headers = [_header_text(cell) for cell in cells]
        if any(canonical_field(header) == "patent_number" for header in headers if header):
            return number, headers
        first_headers = first_headers or headers
        seen += 1
        if seen == _HEADER_SEARCH_ROWS:
            break
    if first_headers is None:
        raise InvalidInput(tr("文件没有表头行", "the file has no header row"), loc=_FILE)
    found = ", ".join(repr(header) for header in first_headers if header) or "(none)"
    raise InvalidInput(
        tr(
            "找不到专利号列；表头行是 {found}；请把其中一列命名为 {accepted}",
            "no patent number column; the header row has {found}; name one column {accepted}",
            found=found,
            accepted=", ".join(accepted_headers("patent_number")),
        ),
        loc=_FILE,
    )


def _reject_duplicates(columns: list[Column]) -> None:
    first: dict[str, str] = {}
    for column in columns:
        name = column.field
        if name is None or name in JOINED_FIELDS:
            continue
        if name in first:
            raise InvalidInput(
                tr(
                    "“{a}”和“{b}”两列都表示{label}；请只保留一列",
                    "columns {a!r} and {b!r} both mean {name}; keep only one",
                    a=first[name],
                    b=column.header,
                    name=name,
                    label=field_label(name),
                ),
                loc=_FILE,
            )
        first[name] = column.header


def _table_row(
    number: int, cells: Sequence[object], layout: Layout, limits: ImportLimits
) -> SourceRow:
    values: dict[str, object] = {}
    columns: dict[str, Column] = {}
    stray: dict[str, str] = {}
    for index, (column, cell) in enumerate(zip(layout.columns, cells, strict=False)):
        if column.field is None:
            _note_stray(index, column, cell, layout, stray)
            continue
        name = column.field
        value = clean(cell, name)
        if value is None:
            continue
        if isinstance(value, str):
            # Our own export writes `'=...` for text that starts like a formula.
            value = restore(value)
        check_cell_length(value, number, name, column.header, limits)
        if name in values:  # only joined fields get here twice
            value = f"{values[name]}; {value}"
            column = Column(f"{columns[name].header}、{column.header}", name, None, "stored")
        values[name] = value
        columns[name] = column
    problem = None
    if any(not is_blank(cell) for cell in cells[len(layout.columns) :]):
        problem = tr(
            "这一行在最后一个表头列之后还有内容（第 {letter} 列起）；是否有未加引号的逗号？",
            "the row has values beyond the last header column; is a comma unquoted?",
            letter=column_letter(len(layout.columns)),
        )
    return SourceRow(number, values, problem, columns, stray)


def _note_stray(
    index: int, column: Column, cell: object, layout: Layout, stray: dict[str, str]
) -> None:
    if is_blank(cell) or column.status == "unstored":
        return
    if column.status == "blank":
        layout.ignore(column.header)
    if len(stray) < _STRAY_PER_ROW and column.header not in stray:
        stray[column.header] = str(cell).strip()[:_STRAY_CHARS]


__all__ = [
    "DEFAULT_LIMITS",
    "Format",
    "ImportLimits",
    "ReadResult",
    "SourceRow",
    "check_workbook",
    "check_cell_length",
    "clean",
    "decode_text",
    "detect_format",
    "read_file",
    "read_rows",
    "too_many_rows",
]
