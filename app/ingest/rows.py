"""One row as the readers pass it on, the limits they enforce, and the cell rules they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from app.core.errors import InvalidInput, PayloadTooLarge
from app.core.i18n import Localized, tr
from app.ingest.layout import Column

_FILE: Final = ("file",)
_MB: Final = 1024 * 1024


@dataclass(frozen=True)
class ImportLimits:
    """Upper bounds an uploaded file must respect."""

    max_bytes: int = 20 * _MB
    max_rows: int = 5000
    max_cell_chars: int = 100_000
    max_xlsx_uncompressed_bytes: int = 100 * _MB
    max_xlsx_ratio: int = 100
    # Rows read, blank ones included: blank rows are skipped before `max_rows` counts.
    max_sheet_rows: int = 50_000
    max_columns: int = 500
    # Cell elements of a workbook's sheets, empty styled ones included (5,000 rows × 200).
    max_sheet_cells: int = 1_000_000
    # openpyxl holds every shared string in memory, at about ten times the part's size.
    max_shared_strings_bytes: int = 16 * _MB


DEFAULT_LIMITS: Final = ImportLimits()


@dataclass(frozen=True)
class SourceRow:
    """One data row as read from the file, keyed by canonical field."""

    row: int
    values: dict[str, object]
    problem: Localized | None = None
    columns: dict[str, Column] = field(default_factory=dict, compare=False)
    stray: dict[str, str] = field(default_factory=dict, compare=False)


def too_many_rows(limits: ImportLimits, what: Localized) -> PayloadTooLarge:
    """Return the refusal of a file with more data rows than the limit."""
    return PayloadTooLarge(
        tr(
            "文件超过 {limit:,} {what}；请拆成几个较小的文件",
            "the file has more than {limit:,} {what}; split it into smaller files",
            limit=limits.max_rows,
            what=what,
        ),
        loc=_FILE,
    )


def clean(value: object, name: str) -> object | None:
    """Return a cell's value as this layer passes it on, or None when it is missing."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, datetime):
        return value.date()
    if name == "patent_number" and isinstance(value, int | float) and not isinstance(value, bool):
        # repr gives the shortest text that round-trips, so the digit after the dot survives.
        return repr(value)
    return value


def is_blank(value: object) -> bool:
    """Return whether a cell is empty (None or only white space)."""
    return value is None or (isinstance(value, str) and not value.strip())


def check_cell_length(
    value: object, row: int, name: str, column: str, limits: ImportLimits
) -> None:
    """Refuse a cell longer than the limit, naming its row and column."""
    if isinstance(value, str) and len(value) > limits.max_cell_chars:
        raise InvalidInput(
            tr(
                "第 {row} 行“{column}”列有 {count:,} 个字符，上限为 {limit:,}；请缩短内容",
                "row {row}, column {column!r}: the cell has {count:,} characters; the limit "
                "is {limit:,}",
                row=row,
                column=column,
                count=len(value),
                limit=limits.max_cell_chars,
            ),
            loc=("rows", row, name),
        )


__all__ = [
    "DEFAULT_LIMITS",
    "ImportLimits",
    "SourceRow",
    "check_cell_length",
    "clean",
    "is_blank",
    "too_many_rows",
]
