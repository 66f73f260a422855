"""Matching over HTTP: a demand's patents, an ad-hoc search, a patent's demands."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.api.deps import (
    MAX_ID,
    DemandId,
    EngineDep,
    ListingId,
    SearcherKey,
    SessionDep,
    SMEKey,
    TTOKey,
)
from app.api.responses import model_response
from app.models import PatentType
from app.schemas import DemandMatchPage, ListingMatchPage, MatchFilters, SearchRequest
from app.services import matches
from app.services.listings import service as listings

router = APIRouter(tags=["matching"])


@router.get("/demands/{demand_id}/matches", response_model=ListingMatchPage)
def demand_matches(
    demand_id: DemandId,
    key: SMEKey,
    session: SessionDep,
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=1_000)] = 0,
    ipc: Annotated[str | None, Query(description="IPC prefix: G, G06, G06F, G06F 16")] = None,
    patent_type: PatentType | None = None,
    province: str | None = None,
    industry_code: str | None = None,
    holder_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    max_rate_percent: Annotated[float | None, Query(gt=0, le=100)] = None,
    min_remaining_years: Annotated[float | None, Query(ge=0, le=30)] = None,
) -> Response:
    """Rank the active listings that could meet one of the caller's demands."""
    demand, stored = matches.own_demand(
        session=session, engine=engine, demand_id=demand_id, organisation_id=key.organisation_id
    )
    filters = matches.listing_filters(
        MatchFilters(
            ipc=ipc,
            patent_type=patent_type,
            province=province,
            industry_code=industry_code,
            holder_id=holder_id,
            max_rate_percent=max_rate_percent,
            min_remaining_years=min_remaining_years,
        ),
        where=("query",),
    )
    page = matches.match_demand(
        session=session,
        engine=engine,
        demand=demand,
        stored=stored,
        filters=filters,
        limit=limit,
        offset=offset,
    )
    # A demand written before its vector existed gets one stored on first use.
    session.commit()
    return model_response(page)


@router.post("/search", response_model=ListingMatchPage)
def search(
    body: SearchRequest, _key: SearcherKey, session: SessionDep, engine: EngineDep
) -> Response:
    """Rank active listings for a need described in the request, without saving it."""
    filters = matches.listing_filters(body.filters, where=("body", "filters"))
    page = matches.search(
        session=session,
        engine=engine,
        text=body.text,
        industry=body.industry_code,
        filters=filters,
        limit=body.limit,
        offset=body.offset,
        annual_sales_yuan=body.annual_sales_yuan,
    )
    return model_response(page)


@router.get("/listings/{listing_id}/matches", response_model=DemandMatchPage)
def listing_matches(
    listing_id: ListingId,
    key: TTOKey,
    session: SessionDep,
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0, le=1_000)] = 0,
) -> Response:
    """Rank the open public demands that one of the caller's listings could meet."""
    listing = listings.get(session=session, listing_id=listing_id)
    listings.require_owner(listing, key.organisation_id)
    page = matches.match_listing(
        session=session, engine=engine, listing=listing, limit=limit, offset=offset
    )
    session.commit()
    return model_response(page)
