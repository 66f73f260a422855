"""Listings over HTTP: TTOs publish and edit their own; everyone with a key can read."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response, UploadFile, status

from app.api.deps import CurrentKey, EngineDep, SessionDep, SettingsDep, TTOKey
from app.errors import InvalidInput, PayloadTooLarge
from app.models import ListingStatus, PatentType
from app.schemas import ImportReport, ListingCreate, ListingRead, ListingUpdate, Page
from app.services import embeddings, imports, listings

router = APIRouter(prefix="/v1/listings", tags=["listings"])


def _etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(if_match: str | None) -> int | None:
    """Return the version an `If-Match` header names, or None when it is absent."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidInput(
            'If-Match must be the ETag of the current version, such as "3"',
            loc=("header", "If-Match"),
        )
    return int(value)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_listing(
    body: ListingCreate, key: TTOKey, session: SessionDep, engine: EngineDep, response: Response
) -> ListingRead:
    """Publish one open-licence listing for the caller's organisation."""
    listing = listings.create(session=session, organisation=key.organisation, data=body)
    embeddings.embed_listings(session=session, listings=[listing], embedder=engine.embedder)
    session.commit()
    engine.refresh(session, [listing.id])
    response.headers["Location"] = f"/v1/listings/{listing.id}"
    response.headers["ETag"] = _etag(listing.version)
    return listings.to_read(listing)


@router.post("/import")
async def import_listings(
    file: UploadFile,
    key: TTOKey,
    session: SessionDep,
    settings: SettingsDep,
    engine: EngineDep,
    dry_run: bool = False,
    all_or_nothing: bool = False,
) -> ImportReport:
    """Upsert listings from a CSV, XLSX or JSONL file and report every row."""
    content = await file.read(settings.max_upload_bytes + 1)
    if len(content) > settings.max_upload_bytes:
        raise PayloadTooLarge(
            f"the file is larger than the limit of {settings.max_upload_mb} MB", loc=("file",)
        )
    outcome = imports.import_listings(
        session=session,
        organisation=key.organisation,
        content=content,
        filename=file.filename or "",
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        limits=imports.limits_from(settings),
        embedder=engine.embedder,
    )
    if outcome.report.committed:
        session.commit()
        engine.refresh(session, outcome.listing_ids)
    else:
        session.rollback()
    return outcome.report


@router.get("")
def list_listings(
    _key: CurrentKey,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ipc: Annotated[str | None, Query(description="IPC prefix: G, G06, G06F, G06F 16")] = None,
    patent_type: PatentType | None = None,
    province: str | None = None,
    industry_code: Annotated[str | None, Query(description="GB/T 4754 section or division")] = None,
    holder_id: int | None = None,
    status: Literal["active", "withdrawn", "expired", "any"] = "active",
    max_rate_percent: Annotated[float | None, Query(gt=0, le=100)] = None,
    min_remaining_years: Annotated[float | None, Query(ge=0, le=30)] = None,
    patent_number: str | None = None,
) -> Page[ListingRead]:
    """List listings that pass the filters, newest change first."""
    filters = listings.filters_from_query(
        ipc=ipc,
        patent_type=patent_type,
        province=province,
        industry_code=industry_code,
        holder_id=holder_id,
        status=None if status == "any" else ListingStatus(status),
        max_rate_percent=max_rate_percent,
        min_remaining_years=min_remaining_years,
        patent_number=patent_number,
    )
    rows, total = listings.list_page(session=session, filters=filters, limit=limit, offset=offset)
    return Page(items=[listings.to_read(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/{listing_id}")
def read_listing(
    listing_id: int, _key: CurrentKey, session: SessionDep, response: Response
) -> ListingRead:
    """Return one listing, withdrawn or expired ones included."""
    listing = listings.get(session=session, listing_id=listing_id)
    response.headers["ETag"] = _etag(listing.version)
    return listings.to_read(listing)


@router.patch("/{listing_id}")
def edit_listing(
    listing_id: int,
    body: ListingUpdate,
    key: TTOKey,
    session: SessionDep,
    engine: EngineDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> ListingRead:
    """Edit the caller's own listing; `If-Match` guards against overwriting another edit."""
    listing = listings.get(session=session, listing_id=listing_id)
    listings.require_owner(listing, key.organisation_id)
    listing = listings.update(
        session=session, listing=listing, patch=body, expected_version=parse_if_match(if_match)
    )
    embeddings.embed_listings(session=session, listings=[listing], embedder=engine.embedder)
    session.commit()
    engine.refresh(session, [listing.id])
    response.headers["ETag"] = _etag(listing.version)
    return listings.to_read(listing)


@router.delete("/{listing_id}")
def withdraw_listing(
    listing_id: int, key: TTOKey, session: SessionDep, engine: EngineDep
) -> ListingRead:
    """Withdraw the caller's own listing; it stays readable, marked `withdrawn`."""
    listing = listings.get(session=session, listing_id=listing_id)
    listings.require_owner(listing, key.organisation_id)
    listing = listings.withdraw(session=session, listing=listing)
    session.commit()
    engine.refresh(session, [listing.id])
    return listings.to_read(listing)
