"""The preview of an import: each row's cells as written and as they would be stored.

A tech-transfer office checks `合同金额（万元）` 1.5 → 15,000 元 before it commits: the report
shows the first rows and every rejected one, and notes what applied to whole columns (units
in headers, merged headers, columns not imported).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from app.core.i18n import Localized, tr
from app.ingest.display import raw_text, shown, yuan
from app.ingest.readers import ReadResult, SourceRow
from app.ingest.units import FIELD_KINDS, Quantity, column_unit
from app.schemas import ListingCreate, PreviewCell, PreviewRow, RowStatus

PREVIEW_ROWS: Final = 20


def stored_values(data: ListingCreate) -> dict[str, Localized]:
    """Return every value a listing would store, in words, by field."""
    values: dict[str, object] = data.model_dump(exclude={"licence"}, exclude_none=True)
    values.update(data.licence.model_dump(exclude_none=True))
    return {field: shown(field, value) for field, value in values.items()}


def preview(
    rows: list[SourceRow],
    status: Mapping[int, RowStatus],
    shown_values: Mapping[int, dict[str, Localized]],
) -> list[PreviewRow]:
    """Return the preview of the first rows and of every rejected row."""
    previewed = []
    for index, source in enumerate(rows):
        row_status = status.get(source.row, "rejected")
        if index >= PREVIEW_ROWS and row_status != "rejected":
            continue
        values = shown_values.get(source.row, {})
        cells = [
            PreviewCell(
                column=column.header,
                field=field,
                raw=raw_text(source.values[field]),
                value=values.get(field),
            )
            for field, column in source.columns.items()
        ]
        previewed.append(PreviewRow(row=source.row, status=row_status, cells=cells))
    return previewed


def file_notes(result: ReadResult) -> list[Localized]:
    """Return what applied to whole columns: header units, merged headers, columns left out."""
    notes = list(_unit_notes(result.rows))
    notes.extend(result.notes)
    if result.unstored_columns:
        notes.append(
            tr(
                "这些列已识别但不保存：{columns}",
                "these columns are recognised but not stored: {columns}",
                columns="、".join(result.unstored_columns),
            )
        )
    if result.ignored_total:
        notes.append(_ignored_note(result))
    return notes


def _ignored_note(result: ReadResult) -> Localized:
    shown_columns = "、".join(result.ignored_columns)
    if result.ignored_total > len(result.ignored_columns):
        return tr(
            "有 {total} 列表头无法识别，未导入（前 {count} 列：{columns}）",
            "{total} columns have headers that are not recognised and are not imported "
            "(the first {count}: {columns})",
            total=result.ignored_total,
            count=len(result.ignored_columns),
            columns=shown_columns,
        )
    return tr(
        "这些列的表头无法识别，未导入：{columns}；如需导入，请按模板改写表头",
        "these columns have headers that are not recognised and are not imported: {columns}; "
        "rename them as the template does to import them",
        columns=shown_columns,
    )


def _unit_notes(rows: list[SourceRow]) -> list[Localized]:
    seen: dict[str, Localized] = {}
    for source in rows:
        for field, column in source.columns.items():
            if field not in FIELD_KINDS or column.header in seen:
                continue
            unit = column_unit(field, column.unit)
            if isinstance(unit, Quantity | Localized) or unit is None or unit.factor == 1:
                continue
            example = yuan(unit.factor) if unit.kind == "money" else shown(field, unit.factor)
            seen[column.header] = tr(
                "“{column}”列按表头单位{unit}换算：1 → {example}；单元格自带单位时以单元格为准",
                "column '{column}' is read in its header's unit, {unit}: 1 → {example}; a unit "
                "written in a cell wins",
                column=column.header,
                unit=unit.name,
                example=example,
            )
    return list(seen.values())


__all__ = ["PREVIEW_ROWS", "file_notes", "preview", "stored_values"]
