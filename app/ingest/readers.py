"""Turn an uploaded CSV, XLSX or JSONL file into raw rows keyed by canonical field.

This layer parses and maps headers only; turning values into listings (and reporting bad
values per row) is the validating layer's job. The API:

    read_file(content, filename, limits=DEFAULT_LIMITS) -> ReadResult
        ReadResult(rows, format, encoding, ignored_columns)
    read_rows(content, filename, limits=DEFAULT_LIMITS) -> list[SourceRow]   # read_file().rows
    detect_format(content, filename) -> "csv" | "xlsx" | "jsonl"
    decode_text(content) -> (text, encoding)

File-level failures raise `InvalidInput` (loc `("file",)`, or `("rows", row, field)` for an
over-long cell) or `PayloadTooLarge`; a parser's own exception never escapes.

Rows:
- `SourceRow.row` is the number the user sees: the spreadsheet row (header = 1 when it is the
  first row) for CSV and XLSX, the 1-based line number for JSONL. Empty rows and blank lines
  are skipped but still counted.
- `values` holds only present values: strings are stripped and empty ones dropped. CSV gives
  `str`; XLSX gives `str`, `int`, `float`, `bool` or `date` (datetimes become dates; a number
  in a percentage-formatted cell becomes the text the sheet shows, `3%` for 0.03); JSONL
  gives any JSON value, with a nested `licence` object flattened into `royalty_type`,
  `rate_percent`, ... (its `type` key is `royalty_type`).
- `problem` is set when a row could not be read as a whole: a JSONL line that is not a JSON
  object (then `values` is empty), a JSONL `licence` that is not an object, two keys of one
  JSONL object naming the same field, or a CSV/XLSX row with values beyond the last header. The
  validating layer reports it as that row's problem.
- Several contact columns (`联系人` and `联系电话`) are joined with "; "; any other field named
  by two columns is an error.
- Unknown columns (and unknown JSONL keys) are ignored and reported once per file in
  `ReadResult.ignored_columns`, in first-seen order; blank headers are ignored silently.

Header row: the first non-empty row, unless it has no patent-number column and one of the next
few rows does (a title row above the header, common in Chinese templates).

Patent numbers that Excel stored as numbers come back as the shortest float repr, so
`201710601862.3` keeps its check digit; a check digit of 0 cannot survive (Excel keeps
`201710601862`), nor can an `X`, so the validating layer reports those as malformed.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

import openpyxl

from app.errors import InvalidInput, PatentBridgeError, PayloadTooLarge
from app.ingest.cells import restore
from app.ingest.headers import accepted_headers, canonical_field

Format = Literal["csv", "xlsx", "jsonl"]

_FILE: Final = ("file",)
_MB: Final = 1024 * 1024
_EXTENSIONS: Final[dict[str, Format]] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM: Final = b"\xef\xbb\xbf"
# Real text has almost no C0 controls besides tab and newlines; junk has ~12%.
_MAX_CONTROL_RATIO: Final = 0.02
_SNIFF_CHARS: Final = 64 * 1024
# Tiny members (an empty sharedStrings.xml) compress absurdly well yet cannot hurt.
_RATIO_CHECK_MIN_BYTES: Final = 1 * _MB
_HEADER_SEARCH_ROWS: Final = 5
_JOINED_FIELDS: Final = frozenset({"contact"})


@dataclass(frozen=True)
class ImportLimits:
    """Upper bounds an uploaded file must respect."""

    max_bytes: int = 20 * _MB
    max_rows: int = 5000
    max_cell_chars: int = 100_000
    max_xlsx_uncompressed_bytes: int = 100 * _MB
    max_xlsx_ratio: int = 100


DEFAULT_LIMITS: Final = ImportLimits()


@dataclass(frozen=True)
class SourceRow:
    """One data row as read from the file, keyed by canonical field."""

    row: int
    values: dict[str, object]
    problem: str | None = None


@dataclass(frozen=True)
class ReadResult:
    """The rows of one file plus what the caller may want to warn about."""

    rows: list[SourceRow]
    format: Format
    encoding: str | None
    ignored_columns: tuple[str, ...] = ()


def read_rows(
    content: bytes, filename: str, limits: ImportLimits = DEFAULT_LIMITS
) -> list[SourceRow]:
    """Return the data rows of an uploaded file."""
    return read_file(content, filename, limits).rows


def read_file(content: bytes, filename: str, limits: ImportLimits = DEFAULT_LIMITS) -> ReadResult:
    """Read an uploaded file into rows, with its format, encoding and ignored columns."""
    if len(content) > limits.max_bytes:
        raise PayloadTooLarge(
            f"the file is {len(content) / _MB:.1f} MB; the limit is {limits.max_bytes / _MB:g} MB",
            loc=_FILE,
        )
    fmt = detect_format(content, filename)
    if fmt == "xlsx":
        rows, ignored = _read_xlsx(content, limits)
        return ReadResult(rows, fmt, None, ignored)
    text, encoding = decode_text(content)
    _check_text(text)
    if fmt == "jsonl":
        rows, ignored = _read_jsonl(text, limits)
    else:
        rows, ignored = _read_delimited(text, filename.lower().endswith(".tsv"), limits)
    return ReadResult(rows, fmt, encoding, ignored)


def detect_format(content: bytes, filename: str) -> Format:
    """Return the file's format from its extension, checked against its first bytes."""
    name = filename.lower()
    extension = name[name.rfind(".") :] if "." in name else ""
    if extension == ".xls":
        raise InvalidInput(
            "old Excel .xls files are not supported; save the sheet as .xlsx or CSV (UTF-8)",
            loc=_FILE,
        )
    if extension not in _EXTENSIONS:
        supported = ", ".join(_EXTENSIONS)
        raise InvalidInput(
            f"unsupported file type {extension or '(none)'!r}; upload one of {supported}",
            loc=_FILE,
        )
    fmt = _EXTENSIONS[extension]
    if not content:
        raise InvalidInput("the file is empty", loc=_FILE)
    if fmt == "xlsx":
        if content.startswith(_OLE2_MAGIC):
            raise InvalidInput(
                "this .xlsx file is password-protected or is really an old .xls file; "
                "remove the password or save it as .xlsx again",
                loc=_FILE,
            )
        if not content.startswith(_ZIP_MAGIC):
            raise InvalidInput("the file is not an Excel .xlsx workbook", loc=_FILE)
        return fmt
    if content.startswith(_ZIP_MAGIC):
        raise InvalidInput(
            f"the {extension} file is a zip archive (an Excel workbook?); "
            "name it .xlsx or export it as CSV",
            loc=_FILE,
        )
    if content.startswith(_OLE2_MAGIC):
        raise InvalidInput(
            f"the {extension} file is an old Excel .xls workbook; export it as CSV (UTF-8)",
            loc=_FILE,
        )
    # UTF-16 text is full of NUL bytes; it is checked after decoding instead.
    if not content.startswith(_UTF16_BOMS) and b"\x00" in content:
        raise InvalidInput(f"the {extension} file contains binary data, not text", loc=_FILE)
    return fmt


def decode_text(content: bytes) -> tuple[str, str]:
    """Return the file's text and the encoding it was decoded with, decoding strictly."""
    if content.startswith(_UTF16_BOMS):
        candidates: tuple[str, ...] = ("utf-16",)
    elif content.startswith(_UTF8_BOM):
        candidates = ("utf-8-sig",)
    else:
        # GB18030 decodes GBK too; trying UTF-8 first matters as GB18030 accepts more bytes.
        candidates = ("utf-8", "gb18030")
    utf8_error: UnicodeDecodeError | None = None
    for encoding in candidates:
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            if encoding.startswith("utf-8"):
                utf8_error = exc
    if utf8_error is not None and utf8_error.end == len(content):
        # Valid UTF-8 up to a character cut in half at the very end: an interrupted upload.
        raise InvalidInput(
            "the file ends in the middle of a UTF-8 character: it looks cut off; upload the "
            "whole file again",
            loc=_FILE,
        )
    raise InvalidInput(
        "the file is not UTF-8 or GBK text; save it as 'CSV UTF-8' and upload it again",
        loc=_FILE,
    )


def _check_text(text: str) -> None:
    sample = text[:_SNIFF_CHARS]
    controls = sum(1 for char in sample if char < " " and char not in "\t\n\r")
    if "\x00" in sample or controls > _MAX_CONTROL_RATIO * len(sample):
        raise InvalidInput("the file contains binary data, not text", loc=_FILE)


# --- tables (CSV and XLSX) ---------------------------------------------------------------


def _read_delimited(
    text: str, is_tsv: bool, limits: ImportLimits
) -> tuple[list[SourceRow], tuple[str, ...]]:
    delimiter = "\t" if is_tsv else _sniff_delimiter(text)
    # Our own per-cell check must see an over-long cell first, to name its row and column;
    # any field fits in max_bytes characters.
    csv.field_size_limit(max(csv.field_size_limit(), limits.max_bytes))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    # Each record is one spreadsheet row, even when a quoted cell spans several lines.
    records = enumerate(reader, start=1)
    try:
        return _read_table(records, limits)
    except csv.Error as exc:
        raise InvalidInput(
            f"the CSV is malformed near line {reader.line_num}: {exc}", loc=_FILE
        ) from exc


def _sniff_delimiter(text: str) -> str:
    first_line = next((line for line in text[:_SNIFF_CHARS].splitlines() if line.strip()), "")
    if "," in first_line:
        return ","
    tabs, semicolons = first_line.count("\t"), first_line.count(";")
    if tabs == semicolons == 0:
        return ","
    return "\t" if tabs >= semicolons else ";"


def _read_table(
    records: Iterable[tuple[int, Sequence[object]]], limits: ImportLimits
) -> tuple[list[SourceRow], tuple[str, ...]]:
    records = iter(records)
    columns, ignored = _find_header(records)
    rows: list[SourceRow] = []
    for number, cells in records:
        if all(_is_blank(cell) for cell in cells):
            continue
        if len(rows) == limits.max_rows:
            raise PayloadTooLarge(
                f"the file has more than {limits.max_rows:,} data rows; split it into smaller "
                "files",
                loc=_FILE,
            )
        rows.append(_table_row(number, cells, columns, limits))
    return rows, ignored


def _find_header(
    records: Iterator[tuple[int, Sequence[object]]],
) -> tuple[list[tuple[str, str] | None], tuple[str, ...]]:
    """Return each column's (field, header), None for ignored ones, and the ignored headers."""
    first_headers: list[str] | None = None
    seen = 0
    for _number, cells in records:
        if all(_is_blank(cell) for cell in cells):
            continue
        headers = ["" if cell is None else str(cell).strip() for cell in cells]
        fields = [canonical_field(header) if header else None for header in headers]
        if "patent_number" in fields:
            _reject_duplicates(headers, fields)
            columns = [
                (f, h) if f is not None else None for f, h in zip(fields, headers, strict=True)
            ]
            ignored = tuple(h for f, h in zip(fields, headers, strict=True) if h and f is None)
            return columns, ignored
        first_headers = first_headers or headers
        seen += 1
        if seen == _HEADER_SEARCH_ROWS:
            break
    if first_headers is None:
        raise InvalidInput("the file has no header row", loc=_FILE)
    found = ", ".join(repr(header) for header in first_headers if header) or "(none)"
    accepted = ", ".join(accepted_headers("patent_number"))
    raise InvalidInput(
        f"no patent number column; the header row has {found}; name one column {accepted}",
        loc=_FILE,
    )


def _reject_duplicates(headers: list[str], fields: list[str | None]) -> None:
    first: dict[str, str] = {}
    for header, name in zip(headers, fields, strict=True):
        if name is None or name in _JOINED_FIELDS:
            continue
        if name in first:
            raise InvalidInput(
                f"columns {first[name]!r} and {header!r} both mean {name}; keep only one",
                loc=_FILE,
            )
        first[name] = header


def _table_row(
    number: int,
    cells: Sequence[object],
    columns: list[tuple[str, str] | None],
    limits: ImportLimits,
) -> SourceRow:
    values: dict[str, object] = {}
    for column, cell in zip(columns, cells, strict=False):
        if column is None:
            continue
        name, header = column
        value = _clean(cell, name)
        if value is None:
            continue
        if isinstance(value, str):
            # Our own export writes `'=...` for text that starts like a formula.
            value = restore(value)
        _check_cell_length(value, number, name, header, limits)
        if name in values:  # only joined fields get here twice
            value = f"{values[name]}; {value}"
        values[name] = value
    problem = None
    if any(not _is_blank(cell) for cell in cells[len(columns) :]):
        problem = "the row has values beyond the last header column; is a comma unquoted?"
    return SourceRow(number, values, problem)


def _clean(value: object, name: str) -> object | None:
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


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_cell_length(
    value: object, row: int, name: str, column: str, limits: ImportLimits
) -> None:
    if isinstance(value, str) and len(value) > limits.max_cell_chars:
        raise InvalidInput(
            f"row {row}, column {column!r}: the cell has {len(value):,} characters; "
            f"the limit is {limits.max_cell_chars:,}",
            loc=("rows", row, name),
        )


# --- XLSX --------------------------------------------------------------------------------


def _read_xlsx(content: bytes, limits: ImportLimits) -> tuple[list[SourceRow], tuple[str, ...]]:
    _check_zip(content, limits)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises anything from KeyError to ParseError
        raise _unreadable_workbook(exc) from exc
    try:
        if not workbook.worksheets:
            raise InvalidInput("the workbook has no worksheet", loc=_FILE)
        sheet = workbook.worksheets[0]
        # Some writers record a wrong sheet size, which would silently cut rows off.
        sheet.reset_dimensions()
        records = enumerate((_xlsx_values(cells) for cells in sheet.iter_rows()), start=1)
        return _read_table(records, limits)
    except PatentBridgeError:
        raise
    except Exception as exc:  # sheet XML is parsed lazily, while rows are iterated
        raise _unreadable_workbook(exc) from exc
    finally:
        workbook.close()


def _xlsx_values(cells: Sequence[Any]) -> tuple[object, ...]:
    return tuple(_xlsx_value(cell) for cell in cells)


def _xlsx_value(cell: Any) -> object:
    value = cell.value
    # Typing 3% into Excel stores 0.03 in a percentage-formatted cell; the user means 3%.
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and "%" in (cell.number_format or "")
    ):
        return f"{value * 100:.10g}%"
    return value


def _unreadable_workbook(exc: Exception) -> InvalidInput:
    reason = type(exc).__name__
    detail = str(exc).strip().splitlines()
    if detail:
        reason = f"{reason}: {detail[0][:200]}"
    return InvalidInput(
        f"the workbook cannot be read ({reason}); open it in Excel and save it again as .xlsx",
        loc=_FILE,
    )


def _check_zip(content: bytes, limits: ImportLimits) -> None:
    """Refuse a workbook from its zip directory alone, before anything is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise InvalidInput(f"the file is not a valid .xlsx workbook: {exc}", loc=_FILE) from exc
    # zipfile never inflates a member past its declared size, so these numbers bound the work.
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= _RATIO_CHECK_MIN_BYTES and ratio > limits.max_xlsx_ratio:
            raise InvalidInput(
                f"the workbook member {member.filename!r} is compressed {ratio:,.0f}:1, over "
                f"the {limits.max_xlsx_ratio}:1 limit; the file looks like a zip bomb",
                loc=_FILE,
            )
    if total > limits.max_xlsx_uncompressed_bytes:
        raise PayloadTooLarge(
            f"the workbook unpacks to {total / _MB:.1f} MB; the limit is "
            f"{limits.max_xlsx_uncompressed_bytes / _MB:g} MB",
            loc=_FILE,
        )
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise InvalidInput("the file is a zip archive but not an .xlsx workbook", loc=_FILE)


# --- JSONL -------------------------------------------------------------------------------


def _read_jsonl(text: str, limits: ImportLimits) -> tuple[list[SourceRow], tuple[str, ...]]:
    rows: list[SourceRow] = []
    ignored: dict[str, None] = {}
    # Not splitlines(): JSON strings may hold U+2028 and other characters it splits on.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if len(rows) == limits.max_rows:
            raise PayloadTooLarge(
                f"the file has more than {limits.max_rows:,} lines; split it into smaller files",
                loc=_FILE,
            )
        rows.append(_json_row(number, line, ignored, limits))
    return rows, tuple(ignored)


def _json_row(number: int, line: str, ignored: dict[str, None], limits: ImportLimits) -> SourceRow:
    try:
        document = json.loads(line)
    except (ValueError, RecursionError) as exc:
        return SourceRow(number, {}, f"line is not valid JSON: {exc}")
    if not isinstance(document, dict):
        return SourceRow(number, {}, f"line is a JSON {type(document).__name__}, not an object")
    pairs: list[tuple[str, str, object]] = []  # (field, key as written, value)
    problems: list[str] = []
    for key, value in document.items():
        if key in ("licence", "license"):
            if value is None:
                continue
            if not isinstance(value, dict):
                problems.append(f"{key!r} must be an object")
                continue
            for inner_key, inner_value in value.items():
                name = "royalty_type" if inner_key == "type" else canonical_field(inner_key)
                if name is None:
                    ignored[f"{key}.{inner_key}"] = None
                else:
                    pairs.append((name, f"{key}.{inner_key}", inner_value))
            continue
        name = canonical_field(key)
        if name is None:
            ignored[key] = None
        else:
            pairs.append((name, key, value))
    values: dict[str, object] = {}
    written: dict[str, str] = {}
    for name, key, raw in pairs:
        value = _clean(raw, name)
        if value is None:
            continue
        _check_cell_length(value, number, name, key, limits)
        if name in values:
            if name not in _JOINED_FIELDS:
                problems.append(f"keys {written[name]!r} and {key!r} both mean {name}")
                continue
            value = f"{values[name]}; {value}"
        values[name] = value
        written.setdefault(name, key)
    return SourceRow(number, values, "; ".join(problems) or None)


__all__ = [
    "DEFAULT_LIMITS",
    "Format",
    "ImportLimits",
    "ReadResult",
    "SourceRow",
    "decode_text",
    "detect_format",
    "read_file",
    "read_rows",
]
