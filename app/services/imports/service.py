"""Bulk import of listings from a TTO's spreadsheet: validate every row, upsert by patent number.

The import reads the whole file first and decides, row by row, whether it creates, updates,
leaves unchanged or rejects a listing. Only then does it write, and only when the caller wants
the result committed (`dry_run` off, and with `all_or_nothing` only when no row was rejected),
so a refused import has written nothing at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.i18n import Localized, tr
from app.ingest.hints import missing_message
from app.ingest.readers import ImportLimits, SourceRow, read_file
from app.ingest.units import FIELD_KINDS
from app.ingest.values import listing_input
from app.models import Listing, ListingStatus, Organisation, utcnow
from app.schemas import ImportReport, ListingCreate, RejectedRow, RowStatus, validation_problems
from app.search import embeddings
from app.services.imports.preview import file_notes, preview, stored_values
from app.services.listings import edits
from app.services.listings import service as listings
from app.validation.patent_number import normalize_patent_number
from matching.embedder import Embedder

_IN_CHUNK = 500


@dataclass(frozen=True)
class ImportOutcome:
    report: ImportReport
    listing_ids: list[int]


def limits_from(settings: Settings) -> ImportLimits:
    """Return the import limits that the settings configure."""
    return ImportLimits(
        max_bytes=settings.max_upload_bytes,
        max_rows=settings.max_import_rows,
        # Blank rows are read too; a real sheet has few, a hostile one a million.
        max_sheet_rows=max(10 * settings.max_import_rows, 10_000),
    )


@dataclass
class _Rejections:
    rows: list[RejectedRow]

    headers: Mapping[str, str]

    def add(self, source: SourceRow, field: str, msg: str | Localized) -> None:
        column = source.columns.get(field)
        self.rows.append(
            RejectedRow(
                row=source.row,
                field=field,
                column=column.header if column is not None else self.headers.get(field),
                msg=Localized.of(msg),
            )
        )


def import_listings(
    *,
    session: Session,
    organisation: Organisation,
    content: bytes,
    filename: str,
    dry_run: bool,
    all_or_nothing: bool,
    limits: ImportLimits,
    embedder: Embedder | None,
) -> ImportOutcome:
    """Validate every row of a file and upsert its listings for `organisation`.

    Args:
        session: the caller's session; this function flushes and never commits.
        organisation: the TTO's organisation, holder of every imported listing.
        content: the uploaded bytes (CSV in UTF-8 or GBK, XLSX, or JSONL).
        filename: the uploaded name; its extension says the format.
        dry_run: validate and count only.
        all_or_nothing: write nothing unless every row is valid.
        limits: file size, row count and cell length limits.
        embedder: embeds the written listings, in batches, before returning; None leaves
            that to the next catalogue load or re-index.

    Returns:
        The ids of the listings written, and the report: counts of created, updated and
        unchanged listings, every rejected row with its field, column and reason, and a
        preview of the parsed values; `report.committed` says whether the caller should
        commit.

    Raises:
        InvalidInput: the file as a whole cannot be read (format, encoding, headers, limits).
    """
    result = read_file(content, filename, limits)
    rejections = _Rejections(rows=[], headers=result.headers)
    accepted: list[tuple[SourceRow, ListingCreate]] = []
    shown: dict[int, dict[str, Localized]] = {}
    first_row_of: dict[str, int] = {}
    for source in result.rows:
        data, shown[source.row] = _validated(source, rejections)
        # A rejected row still claims its patent number: were a later copy accepted, fixing the
        # first row would silently swap the listing's content on the next upload.
        number = data.patent_number if data is not None else _readable_number(source)
        first = first_row_of.setdefault(number, source.row) if number else source.row
        if data is None:
            continue
        if first != source.row:
            rejections.add(
                source,
                "patent_number",
                tr(
                    "专利 {number} 已出现在本文件第 {first} 行；请删除重复的一行",
                    "patent {number} already appears in row {first} of this file",
                    number=data.patent_number,
                    first=first,
                ),
            )
            continue
        accepted.append((source, listings.with_defaults(data, organisation)))

    existing = _existing(session, [data.patent_number for _, data in accepted])
    to_create: list[ListingCreate] = []
    to_update: list[tuple[Listing, ListingCreate]] = []
    status: dict[int, RowStatus] = {}
    for source, data in accepted:
        current = existing.get(data.patent_number)
        if current is None:
            to_create.append(data)
            status[source.row] = "create"
        elif current.organisation_id != organisation.id:
            rejections.add(
                source,
                "patent_number",
                tr(
                    "专利 {number} 已由其他机构发布；请核对专利号",
                    "patent {number} is already listed by another organisation",
                    number=data.patent_number,
                ),
            )
        elif (
            edits.content_hash(data) == current.content_hash
            and current.status is not ListingStatus.WITHDRAWN
        ):
            status[source.row] = "unchanged"
        else:
            to_update.append((current, data))
            status[source.row] = "update"

    committed = not dry_run and not (all_or_nothing and rejections.rows)
    written: list[Listing] = []
    if committed:
        written = _write(session, organisation, to_create, to_update)
        if embedder is not None:
            embeddings.embed_listings(session=session, listings=written, embedder=embedder)
            # Embedding hundreds of rows takes minutes; other processes catch up on rows
            # changed since shortly before their last pass (CATCHUP_OVERLAP), so the rows
            # carry the time the import is ready to commit, not the time it began.
            done = utcnow()
            for listing in written:
                listing.updated_at = done
            session.flush()
    report = ImportReport(
        format=result.format,
        encoding=result.encoding,
        rows=len(result.rows),
        created=len(to_create),
        updated=len(to_update),
        unchanged=sum(1 for s in status.values() if s == "unchanged"),
        rejected=sorted(rejections.rows, key=lambda r: r.row),
        ignored_columns=list(result.ignored_columns),
        ignored_columns_total=result.ignored_total,
        unstored_columns=list(result.unstored_columns),
        notes=file_notes(result),
        preview=preview(result.rows, status, shown),
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        committed=committed,
    )
    return ImportOutcome(report=report, listing_ids=[listing.id for listing in written])


def _validated(
    source: SourceRow, rejections: _Rejections
) -> tuple[ListingCreate | None, dict[str, Localized]]:
    """Return the row as a valid listing (or None, its reasons recorded) and its values in words."""
    row = listing_input(source)
    if source.problem is not None:
        rejections.add(source, "row", source.problem)
        return None, row.shown
    for field, msg in row.problems:
        rejections.add(source, field, _in_column(source, field, msg))
    if row.problems:
        return None, row.shown
    try:
        data = ListingCreate.model_validate(row.data)
    except ValidationError as exc:
        for problem in validation_problems(exc.errors()):
            field = _column_of(problem.loc)
            # A fee the royalty type needs but the row lacks is missing too, whatever the words.
            if problem.type == "missing" or (field in FIELD_KINDS and field not in source.values):
                message = _missing(field, source, rejections.headers, problem.msg)
            else:
                message = _in_column(source, field, Localized.of(problem.msg))
            rejections.add(source, field, message)
        return None, row.shown
    return data, stored_values(data)


def _missing(
    field: str, source: SourceRow, headers: Mapping[str, str], reason: str | Localized
) -> Localized:
    message = missing_message(field, source, headers.get(field))
    if field in FIELD_KINDS:
        # The schema says which royalty type needs the fee; keep that after the fix.
        return message + tr("（{reason}）", " ({reason})", reason=Localized.of(reason))
    return message


def _in_column(source: SourceRow, field: str, msg: Localized) -> Localized:
    column = source.columns.get(field)
    if column is None:
        return msg
    return tr("“{column}”列：{msg}", "column '{column}': {msg}", column=column.header, msg=msg)


def _readable_number(source: SourceRow) -> str | None:
    """Return the canonical patent number of a rejected row, if its number is valid."""
    raw = source.values.get("patent_number")
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        return None
    try:
        return normalize_patent_number(str(raw))
    except ValueError:
        return None


def _column_of(loc: tuple[str | int, ...]) -> str:
    # Licence terms are nested in the API but are plain columns in a spreadsheet.
    names = [part for part in loc if isinstance(part, str)]
    if not names:
        return "row"
    if names[0] == "licence":
        return names[1] if len(names) > 1 else "royalty_type"
    return names[0]


def _existing(session: Session, numbers: list[str]) -> dict[str, Listing]:
    found: dict[str, Listing] = {}
    for start in range(0, len(numbers), _IN_CHUNK):
        chunk = numbers[start : start + _IN_CHUNK]
        for listing in session.scalars(select(Listing).where(Listing.patent_number.in_(chunk))):
            found[listing.patent_number] = listing
    return found


def _write(
    session: Session,
    organisation: Organisation,
    to_create: list[ListingCreate],
    to_update: list[tuple[Listing, ListingCreate]],
) -> list[Listing]:
    now = utcnow()
    written = []
    # One order for every import: two imports creating overlapping patents then wait for
    # each other instead of deadlocking (updates are flushed first, in primary-key order).
    for data in sorted(to_create, key=lambda item: item.patent_number):
        listing = Listing(
            organisation=organisation, status=ListingStatus.ACTIVE, created_at=now, updated_at=now
        )
        listings.apply(listing, data)
        session.add(listing)
        written.append(listing)
    for listing, data in to_update:
        # Importing a withdrawn patent again is how a TTO offers it again.
        listings.replace(listing, data)
        written.append(listing)
    session.flush()
    return written
