"""The columns of a sheet's header: which field each holds, including under merged headers.

A header cell merged across several columns (`联系人` over a name and a phone column) names
every column under it. An XLSX workbook says so in its `mergeCells`; a CSV exported from such a
sheet writes the header once and leaves the cells after it empty (`联系人,,`), so there an
empty header right after a header continues it. The columns under one header:

- of the contact field are all kept, their values joined with "; ";
- of an ignored or not-stored header are ignored with it;
- of any other field: the first holds the field, the others are ignored and reported as
  `专利名称 (F)` (the header and the column letter).

The row right after the header is a sub-header row when every text it has sits under a merged
header and its patent-number cell is empty (`姓名`, `电话` under `联系人`). A sub-header that
names a field itself (`入门费（万元）` under `许可使用费`) gives that column its field and unit.

An empty header not under another is reported, as `(F)`, as soon as a row has a value there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from app.core.i18n import Localized, tr
from app.ingest.headers import canonical_field, header_unit, is_unstored

Span = tuple[int, int]  # first and last column (0-based) under one header
Status = Literal["stored", "unstored", "ignored", "blank"]

JOINED_FIELDS: Final = frozenset({"contact"})
MAX_REPORTED_COLUMNS: Final = 50


@dataclass(frozen=True)
class Column:
    """One column of the sheet: its header as the user wrote it and what the import does."""

    header: str
    field: str | None
    unit: str | None
    status: Status


@dataclass
class Layout:
    """Every column of a sheet and what the report says about them."""

    columns: list[Column]
    ignored: dict[str, None]  # first-seen order; the report shows the first few
    unstored: dict[str, None]
    notes: list[Localized] = field(default_factory=list)
    ignored_total: int = 0
    headers: dict[str, str] = field(default_factory=dict)  # field → its first header

    def ignore(self, header: str) -> None:
        """Record that a column with this header was not imported."""
        if header in self.ignored:
            return
        self.ignored_total += 1
        if len(self.ignored) < MAX_REPORTED_COLUMNS:
            self.ignored[header] = None


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def continuation_spans(headers: Sequence[str]) -> list[Span]:
    """Return the spans of headers followed by empty headers, as a CSV of merged cells has."""
    spans: list[Span] = []
    start: int | None = None
    for index, header in enumerate(headers):
        if header:
            start = index
        elif start is not None:
            if spans and spans[-1][0] == start:
                spans[-1] = (start, index)
            else:
                spans.append((start, index))
    # Empty headers at the very end are usually no columns at all, but the data decides.
    return spans


def is_sub_header(cells: Sequence[str], spans: list[Span], patent_column: int) -> bool:
    """Return whether a row under the header labels the columns of merged headers."""
    if not spans:
        return False
    under = {index for first, last in spans for index in range(first, last + 1)}
    filled = [index for index, text in enumerate(cells) if text]
    if not filled or (patent_column < len(cells) and cells[patent_column]):
        return False
    return all(index in under for index in filled)


def build_layout(
    headers: Sequence[str], spans: list[Span], sub_headers: Sequence[str] | None
) -> Layout:
    """Return what each column of a header row (and its sub-header row) holds."""
    parent_of = {i: first for first, last in spans for i in range(first + 1, last + 1)}
    layout = Layout(columns=[], ignored={}, unstored={})
    for index, header in enumerate(headers):
        sub = sub_headers[index] if sub_headers and index < len(sub_headers) else ""
        parent = headers[parent_of[index]] if index in parent_of else None
        column = _column(index, header, parent, sub, layout)
        layout.columns.append(column)
        if column.field is not None:
            layout.headers.setdefault(column.field, column.header)
    _note_merged(layout, headers, spans)
    return layout


def _column(index: int, header: str, parent: str | None, sub: str, layout: Layout) -> Column:
    owner = parent if parent is not None else header
    if sub and canonical_field(sub) is not None:
        return Column(sub, canonical_field(sub), header_unit(sub), "stored")
    label = f"{owner}/{sub}" if sub and owner else owner
    if not owner:
        return Column(f"({column_letter(index)})", None, None, "blank")
    name = canonical_field(owner)
    if name is not None and (parent is None or name in JOINED_FIELDS):
        return Column(label, name, header_unit(owner), "stored")
    if name is not None:
        # A second column under a header of a one-column field: reported, never merged in.
        return Column(f"{owner} ({column_letter(index)})", None, None, "blank")
    if is_unstored(owner):
        layout.unstored[owner] = None
        return Column(label, None, None, "unstored")
    layout.ignore(owner)
    return Column(label, None, None, "ignored")


def _note_merged(layout: Layout, headers: Sequence[str], spans: list[Span]) -> None:
    for first, last in spans:
        columns = layout.columns[first : last + 1]
        if columns[0].field in JOINED_FIELDS and all(c.field for c in columns):
            layout.notes.append(
                tr(
                    "表头“{header}”下的 {count} 列（{labels}）合并存入联系方式",
                    "the {count} columns under the header '{header}' ({labels}) are joined "
                    "into the contact",
                    header=headers[first],
                    count=len(columns),
                    labels="、".join(c.header for c in columns),
                )
            )


__all__ = [
    "JOINED_FIELDS",
    "MAX_REPORTED_COLUMNS",
    "Column",
    "Layout",
    "Span",
    "build_layout",
    "column_letter",
    "continuation_spans",
    "is_sub_header",
]
