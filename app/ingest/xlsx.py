"""Reading an uploaded .xlsx workbook with bounded work: zip checks, shared strings, merges.

A workbook is refused from its zip directory alone, before anything is inflated, when a
member is compressed too well (a zip bomb), when it unpacks past the limit, or when its
shared-strings part (which openpyxl loads whole, at ~10× its size in memory) is over its own
limit. The first worksheet is then streamed row by row (openpyxl's read-only mode); the
caller counts every row read, blank ones included, so a million empty rows cost a refusal,
not a minute. Read-only mode does not report merged cells, so `merged_ranges` scans the
sheet's `<mergeCell>` elements itself, as a byte stream.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final

import openpyxl

from app.core.errors import InvalidInput, PatentBridgeError, PayloadTooLarge
from app.core.i18n import tr

_FILE: Final = ("file",)
_MB: Final = 1024 * 1024
# Tiny members (an empty sharedStrings.xml) compress absurdly well yet cannot hurt.
_RATIO_CHECK_MIN_BYTES: Final = 1 * _MB
_CHUNK: Final = 1 * _MB
_MERGE = re.compile(
    rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]{1,3})(\d{1,7}):([A-Z]{1,3})(\d{1,7})\""
)
_SHARED_STRINGS_TYPE = re.compile(
    rb"PartName=\"/?([^\"]+)\"[^>]*ContentType=\"[^\"]*sharedStrings[^\"]*\""
)
_ROW_OR_CELL = re.compile(rb"<(?:\w+:)?(row|c)[\s>/]")
# Only merges within the first rows can span a header; more are not kept.
_MAX_MERGES: Final = 1000


@dataclass(frozen=True)
class Merge:
    """A merged range, 0-based columns and 1-based rows, both ends included."""

    first_column: int
    first_row: int
    last_column: int
    last_row: int


@contextmanager
def open_sheet(
    content: bytes,
    *,
    max_uncompressed: int,
    max_ratio: int,
    max_shared_strings: int,
    max_columns: int,
    max_rows: int,
    max_cells: int,
) -> Iterator[tuple[Iterator[tuple[object, ...]], list[Merge]]]:
    """Yield the first worksheet's rows (as cell values) and its merged ranges near the top."""
    check_zip(content, max_uncompressed, max_ratio, max_shared_strings)
    check_sheet_sizes(content, max_rows, max_cells)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises anything from KeyError to ParseError
        raise unreadable_workbook(exc) from exc
    try:
        if not workbook.worksheets:
            raise InvalidInput(tr("工作簿中没有工作表", "the workbook has no worksheet"), loc=_FILE)
        sheet = workbook.worksheets[0]
        merges = merged_ranges(content, sheet._worksheet_path)  # openpyxl's own part path
        # Some writers record a wrong sheet size, which would silently cut rows off.
        sheet.reset_dimensions()
        yield (_values(cells, max_columns) for cells in sheet.iter_rows()), merges
    except PatentBridgeError:
        raise
    except Exception as exc:  # sheet XML is parsed lazily, while rows are iterated
        raise unreadable_workbook(exc) from exc
    finally:
        workbook.close()


def _values(cells: Sequence[Any], max_columns: int) -> tuple[object, ...]:
    """Return a row's values, at most one past `max_columns`: the last one it has there."""
    values = tuple(_value(cell) for cell in cells[:max_columns])
    # One cell at XFD1 makes openpyxl pad the row to 16,384 cells; only its end is looked at.
    beyond = next((c.value for c in reversed(cells[max_columns:]) if c.value is not None), None)
    return values if beyond is None else (*values, beyond)


def _value(cell: Any) -> object:
    value = cell.value
    # Typing 3% into Excel stores 0.03 in a percentage-formatted cell; the user means 3%.
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and "%" in (cell.number_format or "")
    ):
        return f"{value * 100:.10g}%"
    return value


def check_sheet_sizes(content: bytes, max_rows: int, max_cells: int) -> None:
    """Refuse a workbook whose sheets hold more row or cell elements than the limits.

    openpyxl reads every sheet whole on load when it has no `<dimension>` (a hostile file
    leaves it out), so the elements are counted first, as bytes, at C speed.
    """
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for member in archive.infolist():
            name = member.filename
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            rows, cells = _count_elements(archive, member.filename)
            if rows > max_rows or cells > max_cells:
                raise PayloadTooLarge(
                    tr(
                        "工作表“{name}”有 {rows:,} 行、{cells:,} 个单元格（含空行），"
                        "上限为 {max_rows:,} 行、{max_cells:,} 个单元格；"
                        "请删除多余的空行和列，或把文件拆小",
                        "the sheet {name!r} has {rows:,} rows and {cells:,} cells, blank ones "
                        "included; the limits are {max_rows:,} rows and {max_cells:,} cells; "
                        "delete the blank rows and columns or split the file",
                        name=member.filename.rpartition("/")[2],
                        rows=rows,
                        cells=cells,
                        max_rows=max_rows,
                        max_cells=max_cells,
                    ),
                    loc=_FILE,
                )


def _count_elements(archive: zipfile.ZipFile, name: str) -> tuple[int, int]:
    rows = cells = 0
    tail = b""
    with archive.open(name) as part:
        while chunk := part.read(_CHUNK):
            text = tail + chunk
            # A tag cut at the chunk's end is counted in the next round, from the kept tail.
            cut = text.rfind(b"<")
            head, tail = (text[:cut], text[cut:]) if cut > len(text) - 64 else (text, b"")
            for match in _ROW_OR_CELL.finditer(head):
                if match[1] == b"row":
                    rows += 1
                else:
                    cells += 1
    return rows, cells


def merged_ranges(content: bytes, sheet_path: str, top_rows: int = 10) -> list[Merge]:
    """Return the merged ranges of a sheet part that start within its first `top_rows` rows."""
    found: list[Merge] = []
    with zipfile.ZipFile(io.BytesIO(content)) as archive, archive.open(sheet_path) as part:
        tail = b""
        while chunk := part.read(_CHUNK):
            text = tail + chunk
            last_end = 0
            for match in _MERGE.finditer(text):
                last_end = match.end()
                merge = _merge(match)
                if merge.first_row <= top_rows and len(found) < _MAX_MERGES:
                    found.append(merge)
            # Keep an element cut at the chunk's end for the next round, never one seen.
            tail = text[max(last_end, len(text) - 200) :]
    return found


def _merge(match: re.Match[bytes]) -> Merge:
    return Merge(_column_index(match[1]), int(match[2]), _column_index(match[3]), int(match[4]))


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - ord("A") + 1
    return index - 1


def unreadable_workbook(exc: Exception) -> InvalidInput:
    """Return the refusal of a workbook that its parser could not read."""
    reason = type(exc).__name__
    detail = str(exc).strip().splitlines()
    if detail:
        reason = f"{reason}: {detail[0][:200]}"
    return InvalidInput(
        tr(
            "无法读取该工作簿（{reason}）；请用 Excel 打开后重新另存为 .xlsx",
            "the workbook cannot be read ({reason}); open it in Excel and save it again as .xlsx",
            reason=reason,
        ),
        loc=_FILE,
    )


def check_zip(content: bytes, max_uncompressed: int, max_ratio: int, max_shared: int) -> None:
    """Refuse a workbook from its zip directory alone, before anything is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            shared = _shared_strings_parts(archive, members)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise InvalidInput(
            tr(
                "该文件不是有效的 .xlsx 工作簿：{error}",
                "the file is not a valid .xlsx workbook: {error}",
                error=exc,
            ),
            loc=_FILE,
        ) from exc
    # zipfile never inflates a member past its declared size, so these numbers bound the work.
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= _RATIO_CHECK_MIN_BYTES and ratio > max_ratio:
            raise InvalidInput(
                tr(
                    "工作簿中的“{name}”压缩比为 {ratio:,.0f}:1，超过 {limit}:1 的上限；"
                    "该文件像是压缩炸弹",
                    "the workbook member {name!r} is compressed {ratio:,.0f}:1, over the "
                    "{limit}:1 limit; the file looks like a zip bomb",
                    name=member.filename,
                    ratio=ratio,
                    limit=max_ratio,
                ),
                loc=_FILE,
            )
        if member.filename in shared and member.file_size > max_shared:
            raise PayloadTooLarge(
                tr(
                    "工作簿的共享字符串部分解压后为 {size:.1f} MB，上限为 {limit:g} MB；"
                    "请删去不需要的列或工作表，或把文件拆小",
                    "the workbook's shared strings unpack to {size:.1f} MB; the limit is "
                    "{limit:g} MB; delete the columns or sheets you do not need, or split the "
                    "file",
                    size=member.file_size / _MB,
                    limit=max_shared / _MB,
                ),
                loc=_FILE,
            )
    if total > max_uncompressed:
        raise PayloadTooLarge(
            tr(
                "工作簿解压后为 {size:.1f} MB，上限为 {limit:g} MB",
                "the workbook unpacks to {size:.1f} MB; the limit is {limit:g} MB",
                size=total / _MB,
                limit=max_uncompressed / _MB,
            ),
            loc=_FILE,
        )
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise InvalidInput(
            tr(
                "该文件是 zip 压缩包，但不是 .xlsx 工作簿",
                "the file is a zip archive but not an .xlsx workbook",
            ),
            loc=_FILE,
        )


def _shared_strings_parts(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> set[str]:
    """Return the names of the parts openpyxl would load as shared strings."""
    parts = {m.filename for m in members if m.filename.lower().endswith("sharedstrings.xml")}
    types = next((m for m in members if m.filename == "[Content_Types].xml"), None)
    # The content-types part names the shared-strings part; it is tiny in a real workbook.
    if types is not None and types.file_size <= _MB:
        parts.update(
            name.decode("utf-8", "replace")
            for name in _SHARED_STRINGS_TYPE.findall(archive.read(types))
        )
    return parts


__all__ = ["Merge", "check_zip", "merged_ranges", "open_sheet", "unreadable_workbook"]
