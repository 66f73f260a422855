"""Listings over HTTP: TTOs publish and edit their own; everyone with a key can read."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request, Response, UploadFile, status
from starlette.concurrency import run_in_threadpool

from app.api.deps import MAX_ID, CurrentKey, EngineDep, ListingId, SessionDep, SettingsDep, TTOKey
from app.api.etags import etag, parse_if_match
from app.api.transactions import commit_with_retry
from app.core.errors import PayloadTooLarge
from app.core.i18n import tr
from app.models import Listing, ListingStatus, PatentType
from app.schemas import ImportReport, ListingCreate, ListingRead, ListingUpdate, Page
from app.search import embeddings
from app.services import audit
from app.services.imports import service as imports
from app.services.listings import export
from app.services.listings import service as listings

router = APIRouter(prefix="/listings", tags=["listings"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_listing(
    request: Request,
    body: ListingCreate,
    key: TTOKey,
    session: SessionDep,
    engine: EngineDep,
    response: Response,
) -> ListingRead:
    """Publish one open-licence listing for the caller's organisation."""

    def write() -> Listing:
        listing = listings.create(session=session, organisation=key.organisation, data=body)
        embeddings.embed_listings(session=session, listings=[listing], embedder=engine.embedder)
        audit.record(
            session=session,
            key=key,
            action="create",
            entity_type="listing",
            entity_id=listing.id,
            detail={"patent_number": listing.patent_number, "version": listing.version},
        )
        return listing

    listing = commit_with_retry(session, write)
    engine.refresh(session, [listing.id])
    response.headers["Location"] = request.app.url_path_for("read_listing", listing_id=listing.id)
    response.headers["ETag"] = etag(listing.version)
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
            tr(
                "文件超过 {limit} MB 的上限；请把文件拆小",
                "the file is larger than the limit of {limit} MB",
                limit=settings.max_upload_mb,
            ),
            loc=("file",),
        )
    filename = file.filename or ""

    def write() -> imports.ImportOutcome:
        outcome = imports.import_listings(
            session=session,
            organisation=key.organisation,
            content=content,
            filename=filename,
            dry_run=dry_run,
            all_or_nothing=all_or_nothing,
            limits=imports.limits_from(settings),
            embedder=engine.embedder,
        )
        report = outcome.report
        if not report.committed:
            session.rollback()
            return outcome
        audit.record_import(
            session=session,
            key=key,
            organisation_id=key.organisation_id,
            filename=filename,
            report=report,
        )
        return outcome

    # Parsing, embedding and writing are blocking work: off the event loop, which would
    # otherwise stall every other request of this process for the whole import.
    outcome = await run_in_threadpool(commit_with_retry, session, write)
    if outcome.report.committed:
        await run_in_threadpool(engine.refresh, session, outcome.listing_ids)
    return outcome.report


@router.get("/export", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export_listings(
    key: TTOKey,
    session: SessionDep,
    status: Literal["active", "withdrawn", "expired", "any"] = "active",
) -> Response:
    """Download the caller's own listings as CSV (UTF-8 with BOM) that the import reads back."""
    content = export.listings_csv(
        session=session,
        organisation_id=key.organisation_id,
        status=None if status == "any" else ListingStatus(status),
    )
    return Response(
        content=content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="listings.csv"'},
    )


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
    holder_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
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
    listing_id: ListingId, _key: CurrentKey, session: SessionDep, response: Response
) -> ListingRead:
    """Return one listing, withdrawn or expired ones included."""
    listing = listings.get(session=session, listing_id=listing_id)
    response.headers["ETag"] = etag(listing.version)
    return listings.to_read(listing)


@router.patch("/{listing_id}")
def edit_listing(
    listing_id: ListingId,
    body: ListingUpdate,
    key: TTOKey,
    session: SessionDep,
    engine: EngineDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> ListingRead:
    """Edit the caller's own listing; `If-Match` guards against overwriting another edit.

    Without `If-Match` the edit applies to the version read here, and a concurrent edit that
    lands first still makes this one re-read and apply on top, never overwrite it blindly.
    """
    expected = parse_if_match(if_match)

    def write() -> Listing:
        listing = listings.get(session=session, listing_id=listing_id)
        listings.require_owner(listing, key.organisation_id)
        before = listing.version
        listing = listings.update(
            session=session, listing=listing, patch=body, expected_version=expected
        )
        embeddings.embed_listings(session=session, listings=[listing], embedder=engine.embedder)
        audit.record_change(
            session=session,
            key=key,
            action="update",
            entity_type="listing",
            entity=listing,
            before=before,
            detail={"fields": sorted(body.model_fields_set)},
        )
        return listing

    listing = commit_with_retry(session, write)
    engine.refresh(session, [listing.id])
    response.headers["ETag"] = etag(listing.version)
    return listings.to_read(listing)


@router.delete("/{listing_id}")
def withdraw_listing(
    listing_id: ListingId, key: TTOKey, session: SessionDep, engine: EngineDep
) -> ListingRead:
    """Withdraw the caller's own listing; it stays readable, marked `withdrawn`."""

    def write() -> Listing:
        listing = listings.get(session=session, listing_id=listing_id)
        listings.require_owner(listing, key.organisation_id)
        before = listing.version
        listing = listings.withdraw(session=session, listing=listing)
        audit.record_change(
            session=session,
            key=key,
            action="withdraw",
            entity_type="listing",
            entity=listing,
            before=before,
        )
        return listing

    listing = commit_with_retry(session, write)
    engine.refresh(session, [listing.id])
    return listings.to_read(listing)
