"""The report of a listing import, row by row and cell by cell."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.core.i18n import Localized


class RejectedRow(BaseModel):
    """One reason a row was refused: the field, the column header as the user wrote it."""

    row: int
    field: str
    column: str | None = Field(
        default=None, description="the header of the column at fault, as the file has it"
    )
    msg: Localized


RowStatus = Literal["create", "update", "unchanged", "rejected"]


class PreviewCell(BaseModel):
    """One cell of a previewed row: what the user wrote and what would be stored."""

    column: str = Field(description="the column header as the file has it")
    field: str
    raw: str = Field(description="the cell as written (long text cut to 60 characters)")
    value: Localized | None = Field(
        description="the stored value in words ('15,000 元'); null when it cannot be read"
    )


class PreviewRow(BaseModel):
    row: int
    status: RowStatus
    cells: list[PreviewCell]


class ImportReport(BaseModel):
    """What an import did, or would do under `dry_run`, row by row."""

    format: str
    encoding: str | None
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: list[RejectedRow]
    ignored_columns: list[str] = Field(description="unknown columns: the first 50")
    ignored_columns_total: int = 0
    unstored_columns: list[str] = Field(
        default_factory=list, description="columns recognised but not stored (专利权人, 发明人)"
    )
    notes: list[Localized] = Field(
        default_factory=list, description="units applied, merged headers, columns left out"
    )
    preview: list[PreviewRow] = Field(
        default_factory=list,
        description="the parsed values of the first 20 rows and of every rejected row",
    )
    dry_run: bool
    all_or_nothing: bool
    committed: bool
