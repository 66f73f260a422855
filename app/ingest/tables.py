"""Reading a table (a CSV text or an XLSX sheet) into rows keyed by canonical field.

Header row: the first non-empty row, unless it has no patent-number column and one of the next
few rows does (a title row above the header, common in Chinese templates).

Patent numbers that Excel stored as numbers come back as the shortest float repr, so
`201710601862.3` keeps its check digit; a check digit of 0 cannot survive (Excel keeps
`201710601862`), nor can an `X`, so the validating layer reports those as malformed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import Final

from app.core.errors import InvalidInput, PayloadTooLarge
from app.core.i18n import Localized, tr
from app.ingest.cells import restore
from app.ingest.formats import SNIFF_CHARS
from app.ingest.headers import accepted_headers, canonical_field, field_label
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
    ImportLimits,
    SourceRow,
    check_cell_length,
    clean,
    is_blank,
    too_many_rows,
)
from app.ingest.xlsx import Merge, open_sheet

_FILE: Final = ("file",)
_HEADER_SEARCH_ROWS: Final = 5
# Enough of an ignored cell to recognise it in a message.
_STRAY_CHARS: Final = 60
_STRAY_PER_ROW: Final = 5


def read_delimited(text: str, is_tsv: bool, limits: ImportLimits) -> tuple[list[SourceRow], Layout]:
    """Return the rows of a CSV (or TSV) text and what its headers hold."""
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


def read_xlsx(content: bytes, limits: ImportLimits) -> tuple[list[SourceRow], Layout]:
    """Return the rows of an XLSX workbook's first sheet and what its headers hold."""
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
