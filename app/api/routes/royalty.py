"""Royalty guidance over HTTP: a sourced royalty range for any listing, for any role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import CurrentKey, ListingId, SessionDep
from app.schemas import RoyaltyRead
from app.services.listings import service as listings
from app.services.royalty import service as royalty
from matching.royalty import Exclusivity

router = APIRouter(prefix="/listings", tags=["royalty"])


@router.get("/{listing_id}/royalty")
def listing_royalty(
    listing_id: ListingId,
    _key: CurrentKey,
    session: SessionDep,
    industry_code: Annotated[
        str | None,
        Query(description="the licensee's GB/T 4754 section or division (C, 39 or C39)"),
    ] = None,
    exclusivity: Annotated[
        Exclusivity, Query(description="non_exclusive (an open licence), sole or exclusive")
    ] = "non_exclusive",
    annual_sales_yuan: Annotated[
        float | None,
        Query(ge=1, le=1e13, description="the licensee's expected annual net sales, in yuan"),
    ] = None,
    budget_yuan: Annotated[
        float | None,
        Query(
            ge=1,
            le=1e13,
            description="what the licensee can pay, in yuan: compared with the fees, "
            "never taken for its sales",
        ),
    ] = None,
) -> RoyaltyRead:
    """Suggest a royalty range for one listing, with every figure's source, and in words."""
    industry = royalty.licensee_industry(industry_code, loc=("query", "industry_code"))
    listing = listings.get(session=session, listing_id=listing_id)
    return royalty.read_for_listing(
        listing,
        tables=royalty.current_tables(session),
        licensee_industry=industry,
        exclusivity=exclusivity,
        annual_sales_yuan=annual_sales_yuan,
        budget_yuan=budget_yuan,
    )
