"""Listings: create, read, edit, withdraw and list open-licence patents."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from app.core.i18n import reason_of, tr
from app.models import Listing, ListingStatus, Organisation, PatentType, utcnow
from app.schemas import (
    LicenceTerms,
    ListingCreate,
    ListingRead,
    ListingUpdate,
    OrganisationRef,
)
from app.search.filters import ListingFilters, conditions, remaining_years
from app.services import paging as pages
from app.services.listings import edits
from app.validation.industry import normalize_industry_code
from app.validation.ipc import normalize_ipc_prefix
from app.validation.patent_number import normalize_patent_number
from app.validation.province import normalize_province


def filters_from_query(
    *,
    ipc: str | None,
    patent_type: PatentType | None,
    province: str | None,
    industry_code: str | None,
    holder_id: int | None,
    status: ListingStatus | None,
    max_rate_percent: float | None,
    min_remaining_years: float | None,
    patent_number: str | None = None,
    where: tuple[str, ...] = ("query",),
) -> ListingFilters:
    """Return validated, normalised filters from query parameters, or raise InvalidInput."""
    problems: list[Problem] = []

    def normalised(name: str, raw: str | None, normalise: Callable[[str], str]) -> str | None:
        if raw is None or not raw.strip():
            return None
        try:
            return normalise(raw)
        except ValueError as exc:
            problems.append(Problem(msg=reason_of(exc), loc=(*where, name)))
            return None

    filters = ListingFilters(
        ipc_prefix=normalised("ipc", ipc, normalize_ipc_prefix),
        patent_type=patent_type,
        province=normalised("province", province, normalize_province),
        industry_code=normalised("industry_code", industry_code, normalize_industry_code),
        holder_id=holder_id,
        status=status,
        max_rate_percent=max_rate_percent,
        min_remaining_years=min_remaining_years,
        patent_number=normalised("patent_number", patent_number, normalize_patent_number),
    )
    if problems:
        raise InvalidInput.of(problems)
    return filters


def fields_of(listing: Listing) -> dict[str, Any]:
    """Return a stored listing as the fields of a `ListingCreate`."""
    return {
        "patent_number": listing.patent_number,
        "title": listing.title,
        "abstract": listing.abstract,
        "claims": listing.claims,
        "ipc_codes": list(listing.ipc_codes),
        "patent_type": listing.patent_type,
        "application_date": listing.application_date,
        "grant_date": listing.grant_date,
        "expiry_date": listing.expiry_date,
        "legal_status": listing.legal_status,
        "industry_code": listing.industry_code,
        "licence": _licence_of(listing).model_dump(),
        "province": listing.province,
        "contact": listing.contact,
    }


def _licence_of(listing: Listing) -> LicenceTerms:
    return LicenceTerms.model_construct(
        royalty_type=listing.royalty_type,
        rate_percent=listing.rate_percent,
        fixed_fee_yuan=listing.fixed_fee_yuan,
        entry_fee_yuan=listing.entry_fee_yuan,
        term_years=listing.licence_term_years,
    )


def to_read(listing: Listing) -> ListingRead:
    """Return the API view of a listing."""
    org = listing.organisation
    return ListingRead(
        **{k: v for k, v in fields_of(listing).items() if k != "licence"},
        licence=_licence_of(listing),
        remaining_years=remaining_years(listing.expiry_date),
        holder=OrganisationRef(id=org.id, name=org.name, kind=org.kind, province=org.province),
        id=listing.id,
        status=listing.status,
        version=listing.version,
        created_at=listing.created_at,
        updated_at=listing.updated_at,
    )


def apply(listing: Listing, data: ListingCreate) -> None:
    """Write validated fields onto a listing row (new or existing)."""
    assert data.patent_type is not None and data.expiry_date is not None
    listing.patent_number = data.patent_number
    listing.title = data.title
    listing.abstract = data.abstract
    listing.claims = data.claims
    listing.ipc_codes = list(data.ipc_codes)
    listing.ipc_search = ";" + ";".join(data.ipc_codes) + ";"
    listing.patent_type = data.patent_type
    listing.application_date = data.application_date
    listing.grant_date = data.grant_date
    listing.expiry_date = data.expiry_date
    listing.legal_status = data.legal_status
    listing.industry_code = data.industry_code
    listing.province = data.province
    listing.contact = data.contact
    listing.royalty_type = data.licence.royalty_type
    listing.rate_percent = data.licence.rate_percent
    listing.fixed_fee_yuan = data.licence.fixed_fee_yuan
    listing.entry_fee_yuan = data.licence.entry_fee_yuan
    listing.licence_term_years = data.licence.term_years
    listing.content_hash = edits.content_hash(data)
    if data.expiry_date < date.today():
        listing.status = ListingStatus.EXPIRED
    elif listing.status is ListingStatus.EXPIRED:
        listing.status = ListingStatus.ACTIVE


def with_defaults(data: ListingCreate, organisation: Organisation) -> ListingCreate:
    """Return `data` with the holder's province filled in when the listing gives none."""
    if data.province is None and organisation.province is not None:
        return data.model_copy(update={"province": organisation.province})
    return data


def get(*, session: Session, listing_id: int) -> Listing:
    """Return the listing with `listing_id`, or raise NotFound."""
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise NotFound(
            tr(
                "专利挂牌 {id} 不存在；请检查编号，或在 GET /v1/listings 中查找",
                "listing {id} does not exist",
                id=listing_id,
            ),
            loc=("path", "listing_id"),
        )
    return listing


def require_owner(listing: Listing, organisation_id: int) -> None:
    """Raise Forbidden unless `organisation_id` holds the listing."""
    if listing.organisation_id != organisation_id:
        raise Forbidden(
            tr(
                "专利挂牌 {id} 属于其他机构，只有持有它的机构才能修改",
                "listing {id} belongs to another organisation",
                id=listing.id,
            ),
            loc=("path", "listing_id"),
        )


def create(*, session: Session, organisation: Organisation, data: ListingCreate) -> Listing:
    """Create a listing held by `organisation`; a patent number can be listed only once.

    Publishing again a patent that the same organisation withdrew offers it again, with the
    new terms, under its old id.
    """
    data = with_defaults(data, organisation)
    existing = session.scalar(select(Listing).where(Listing.patent_number == data.patent_number))
    if (
        existing is not None
        and existing.organisation_id == organisation.id
        and existing.status is ListingStatus.WITHDRAWN
    ):
        replace(existing, data)
        session.flush()
        return existing
    if existing is not None:
        ours = existing.organisation_id == organisation.id
        raise Conflict(
            tr(
                "专利 {number} 已经挂牌（挂牌编号 {id}）；请用 PATCH /v1/listings/{id} 修改它",
                "patent {number} is already listed (listing {id}, held by your organisation)",
                number=data.patent_number,
                id=existing.id,
            )
            if ours
            else tr(
                "专利 {number} 已由其他机构挂牌（挂牌编号 {id}）；同一专利只能挂牌一次，"
                "请核对专利号",
                "patent {number} is already listed (listing {id}, held by another organisation)",
                number=data.patent_number,
                id=existing.id,
            ),
            loc=("body", "patent_number"),
        )
    now = utcnow()
    listing = Listing(
        organisation=organisation, status=ListingStatus.ACTIVE, created_at=now, updated_at=now
    )
    apply(listing, data)
    session.add(listing)
    session.flush()
    return listing


def replace(listing: Listing, data: ListingCreate) -> None:
    """Overwrite a stored listing with new fields, re-activating it if it was withdrawn."""
    if listing.status is ListingStatus.WITHDRAWN:
        listing.status = ListingStatus.ACTIVE
        listing.withdrawn_at = None
    apply(listing, data)
    listing.version += 1
    listing.updated_at = utcnow()


def update(
    *, session: Session, listing: Listing, patch: ListingUpdate, expected_version: int | None
) -> Listing:
    """Apply a partial edit and re-check the whole listing; a no-change edit writes nothing."""
    edits.require_version(listing, expected_version, noun=tr("专利挂牌", "listing"))
    merged = fields_of(listing) | patch.model_dump(exclude_unset=True)
    changed = patch.model_fields_set
    if {"application_date", "patent_type"} & changed and "expiry_date" not in changed:
        # A derived expiry must follow the new dates unless the caller gives one explicitly.
        merged["expiry_date"] = None
    data = edits.validated(ListingCreate, merged)
    if edits.content_hash(data) == listing.content_hash:
        return listing
    replace(listing, data)
    session.flush()
    return listing


def withdraw(*, session: Session, listing: Listing) -> Listing:
    """Withdraw a listing from the catalogue; it stays readable with status `withdrawn`."""
    if listing.status is not ListingStatus.WITHDRAWN:
        listing.status = ListingStatus.WITHDRAWN
        listing.withdrawn_at = utcnow()
        listing.updated_at = listing.withdrawn_at
        listing.version += 1
        session.flush()
    return listing


def filtered(filters: ListingFilters, today: date | None = None) -> Select[Listing]:
    """Return a query for the listings that pass `filters`."""
    return select(Listing).where(*conditions(filters, today))


def list_page(
    *, session: Session, filters: ListingFilters, limit: int, offset: int
) -> tuple[list[Listing], int]:
    """Return one page of listings, newest change first, and the total that pass the filters."""
    order = (Listing.updated_at.desc(), Listing.id.desc())
    return pages.page(session, filtered(filters), *order, limit=limit, offset=offset)
