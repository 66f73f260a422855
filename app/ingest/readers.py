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

CSV and XLSX are read by `app.ingest.tables`, JSONL by `app.ingest.jsonl`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from app.core.errors import PayloadTooLarge
from app.core.i18n import Localized, tr
from app.ingest.formats import Format, check_text, decode_text, detect_format
from app.ingest.jsonl import read_jsonl
from app.ingest.layout import Layout
from app.ingest.rows import (
    DEFAULT_LIMITS,
    ImportLimits,
    SourceRow,
    check_cell_length,
    clean,
    too_many_rows,
)
from app.ingest.tables import read_delimited, read_xlsx
from app.ingest.xlsx import check_zip

_FILE: Final = ("file",)
_MB: Final = 1024 * 1024


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
        return _result(*read_xlsx(content, limits), fmt, None)
    text, encoding = decode_text(content)
    check_text(text)
    if fmt == "jsonl":
        return _result(*read_jsonl(text, limits), fmt, encoding)
    return _result(*read_delimited(text, filename.lower().endswith(".tsv"), limits), fmt, encoding)


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


def check_workbook(content: bytes, limits: ImportLimits) -> None:
    """Refuse a workbook from its zip directory alone, before anything is inflated."""
    check_zip(
        content,
        limits.max_xlsx_uncompressed_bytes,
        limits.max_xlsx_ratio,
        limits.max_shared_strings_bytes,
    )


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
