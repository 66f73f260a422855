"""Alerts over HTTP: what newly fits a demand, or a listing, since its owner last looked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import MAX_ID, DemandId, ListingId, SessionDep, SMEKey, TTOKey
from app.api.transactions import commit_with_retry
from app.schemas import AlertPage, DemandAlert, ListingAlert
from app.services import demands
from app.services.alerts import feed as alert_feed
from app.services.listings import service as listings

router = APIRouter(tags=["alerts"])

Limit = Annotated[int, Query(ge=1, le=100)]
After = Annotated[
    int | None,
    Query(
        ge=0,
        le=MAX_ID,
        description="read the alerts after this alert of the list (an id or `cursor` it "
        "returned; 0 for the start) without moving the seen-marker",
    ),
]


@router.get("/demands/{demand_id}/alerts")
def demand_alerts(
    demand_id: DemandId, key: SMEKey, session: SessionDep, limit: Limit = 20, after: After = None
) -> AlertPage[ListingAlert]:
    """Return the listings that newly fit one of the caller's demands, oldest first."""

    def read() -> AlertPage[ListingAlert]:
        demand = demands.get_own(
            session=session, demand_id=demand_id, organisation_id=key.organisation_id
        )
        return alert_feed.for_demand(session=session, demand=demand, after=after, limit=limit)

    # Moving the seen-marker writes the demand's row: an edit landing meanwhile means read again.
    return commit_with_retry(session, read)


@router.get("/listings/{listing_id}/alerts")
def listing_alerts(
    listing_id: ListingId, key: TTOKey, session: SessionDep, limit: Limit = 20, after: After = None
) -> AlertPage[DemandAlert]:
    """Return the public demands that newly fit one of the caller's listings, oldest first."""

    def read() -> AlertPage[DemandAlert]:
        listing = listings.get(session=session, listing_id=listing_id)
        listings.require_owner(listing, key.organisation_id)
        return alert_feed.for_listing(session=session, listing=listing, after=after, limit=limit)

    # Moving the seen-marker writes the listing's row: an edit landing meanwhile means read again.
    return commit_with_retry(session, read)
