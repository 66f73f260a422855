"""Bulk import of listings from a TTO's spreadsheet: validate every row, upsert by patent number.

The import reads the whole file first and decides, row by row, whether it creates, updates,
leaves unchanged or rejects a listing. Only then does it write, and only when the caller wants
the result committed (`dry_run` off, and with `all_or_nothing` only when no row was rejected),
so a refused import has written nothing at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.i18n import Localized, tr
from app.ingest.headers import PATENT_TYPE_ALIASES, ROYALTY_TYPE_ALIASES, canonical_value
from app.ingest.readers import ImportLimits, SourceRow, read_file
from app.models import Listing, ListingStatus, Organisation, utcnow
from app.schemas import ImportReport, ListingCreate, RejectedRow, validation_problems
from app.services import edits, embeddings, listings
from app.validation.patent_number import normalize_patent_number
from matching.embedder import Embedder

_LICENCE_FIELDS = ("royalty_type", "rate_percent", "fixed_fee_yuan", "entry_fee_yuan", "term_years")
_DATE_FIELDS = ("application_date", "grant_date", "expiry_date")
_NUMBER_FIELDS = ("rate_percent", "fixed_fee_yuan", "entry_fee_yuan", "term_years")
_DATE_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# "5万" is how Chinese price lists write 50,000 yuan.
_NUMBER_PATTERN = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*(万)?\s*(?:元|%|％|年)?$")
_IN_CHUNK = 500


@dataclass(frozen=True)
class ImportOutcome:
    report: ImportReport
    listing_ids: list[int]


def limits_from(settings: Settings) -> ImportLimits:
    """Return the import limits that the settings configure."""
    return ImportLimits(max_bytes=settings.max_upload_bytes, max_rows=settings.max_import_rows)


@dataclass
class _Rejections:
    rows: list[RejectedRow]

    def add(self, row: int, field: str, msg: str | Localized) -> None:
        self.rows.append(RejectedRow(row=row, field=field, msg=Localized.of(msg)))


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
        unchanged listings, and every rejected row with its field and reason;
        `report.committed` says whether the caller should commit.

    Raises:
        InvalidInput: the file as a whole cannot be read (format, encoding, headers, limits).
    """
    result = read_file(content, filename, limits)
    rejections = _Rejections(rows=[])
    accepted: list[tuple[int, ListingCreate]] = []
    first_row_of: dict[str, int] = {}
    for source in result.rows:
        data = _validated(source, rejections)
        # A rejected row still claims its patent number: were a later copy accepted, fixing the
        # first row would silently swap the listing's content on the next upload.
        number = data.patent_number if data is not None else _readable_number(source)
        first = first_row_of.setdefault(number, source.row) if number else source.row
        if data is None:
            continue
        if first != source.row:
            rejections.add(
                source.row,
                "patent_number",
                f"patent {data.patent_number} already appears in row {first} of this file",
            )
            continue
        accepted.append((source.row, listings.with_defaults(data, organisation)))

    existing = _existing(session, [data.patent_number for _, data in accepted])
    to_create: list[ListingCreate] = []
    to_update: list[tuple[Listing, ListingCreate]] = []
    unchanged = 0
    for row, data in accepted:
        current = existing.get(data.patent_number)
        if current is None:
            to_create.append(data)
        elif current.organisation_id != organisation.id:
            rejections.add(
                row,
                "patent_number",
                f"patent {data.patent_number} is already listed by another organisation",
            )
        elif (
            edits.content_hash(data) == current.content_hash
            and current.status is not ListingStatus.WITHDRAWN
        ):
            unchanged += 1
        else:
            to_update.append((current, data))

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
        unchanged=unchanged,
        rejected=sorted(rejections.rows, key=lambda r: r.row),
        ignored_columns=list(result.ignored_columns),
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        committed=committed,
    )
    return ImportOutcome(report=report, listing_ids=[listing.id for listing in written])


def _validated(source: SourceRow, rejections: _Rejections) -> ListingCreate | None:
    if source.problem is not None:
        rejections.add(source.row, "row", source.problem)
        return None
    raw, problems = _listing_input(source.values)
    for field, msg in problems:
        rejections.add(source.row, field, msg)
    if problems:
        return None
    try:
        return ListingCreate.model_validate(raw)
    except ValidationError as exc:
        for problem in validation_problems(exc.errors()):
            field = _column_of(problem.loc)
            message: str | Localized = (
                tr("{field} 必填", "{field} is required", field=field)
                if problem.type == "missing"
                else problem.msg
            )
            rejections.add(source.row, field, message)
        return None


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


def _listing_input(values: dict[str, object]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Return a row's values shaped as a `ListingCreate` input, and the values it could not read."""
    problems: list[tuple[str, str]] = []
    raw: dict[str, Any] = {k: v for k, v in values.items() if k not in _LICENCE_FIELDS}
    licence: dict[str, Any] = {k: v for k, v in values.items() if k in _LICENCE_FIELDS}
    if isinstance(raw.get("patent_number"), int | float):
        raw["patent_number"] = str(raw["patent_number"])
    if isinstance(raw.get("patent_type"), str):
        raw["patent_type"] = canonical_value(PATENT_TYPE_ALIASES, raw["patent_type"])
    if isinstance(licence.get("royalty_type"), str):
        licence["royalty_type"] = canonical_value(ROYALTY_TYPE_ALIASES, licence["royalty_type"])
    for name in _DATE_FIELDS:
        if name in raw:
            parsed = _parse_date(raw[name])
            if parsed is None:
                problems.append((name, f"'{raw[name]}' is not a date such as 2017-07-25"))
            raw[name] = parsed
    for name in _NUMBER_FIELDS:
        if name in licence:
            number = _parse_number(licence[name])
            if number is None:
                problems.append((name, f"'{licence[name]}' is not a number"))
            licence[name] = number
    if licence:
        raw["licence"] = licence
    return raw, problems


def _parse_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _DATE_PATTERN.match(text) or _COMPACT_DATE.match(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _parse_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    match = _NUMBER_PATTERN.match(value.replace(",", "").replace("，", "").strip())
    if match is None:
        return None
    number = float(match[1])
    return number * 10_000 if match[2] else number


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
