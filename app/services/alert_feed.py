"""Reading alerts: what changed since the owner last looked.

Each demand and listing keeps a seen-marker (the id of the newest alert its owner has read).
A read without a cursor returns the alerts after the marker, oldest first, and moves the marker
to the last one returned, so the next read starts where this one stopped; a read with
`after=<id>` returns the alerts after that id and leaves the marker alone (re-reading history).

What may be shown is decided when reading, not only when recording: a listing that has left
the catalogue drops out of a demand's alerts, and a demand that is no longer open and public
drops out of a listing's alerts and out of its counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from app.models import (
    AlertFeed,
    Demand,
    DemandStatus,
    Listing,
    ListingStatus,
    MatchAlert,
    Visibility,
)
from app.schemas import AlertPage, DemandAlert, LicenceTerms, ListingAlert
from app.services import demands, listings

# The API view of one alert: what a demand's feed or a listing's feed returns.
A = TypeVar("A", ListingAlert, DemandAlert)


def for_demand(
    *, session: Session, demand: Demand, after: int | None, limit: int
) -> AlertPage[ListingAlert]:
    """Return a demand's listing alerts after the cursor (or its seen-marker, which advances)."""
    visible = (
        MatchAlert.feed == AlertFeed.DEMAND,
        MatchAlert.demand_id == demand.id,
        Listing.status == ListingStatus.ACTIVE,
    )
    query = select(MatchAlert, Listing).join(Listing, Listing.id == MatchAlert.listing_id)
    return _read(session, demand, query, visible, _listing_alert, after=after, limit=limit)


def for_listing(
    *, session: Session, listing: Listing, after: int | None, limit: int
) -> AlertPage[DemandAlert]:
    """Return a listing's demand alerts after the cursor (or its seen-marker, which advances).

    Only demands that are open and public now are shown or counted: a demand made private
    after the alert was recorded must not leak to the listing's holder.
    """
    visible = (
        MatchAlert.feed == AlertFeed.LISTING,
        MatchAlert.listing_id == listing.id,
        Demand.status == DemandStatus.OPEN,
        Demand.visibility == Visibility.PUBLIC,
    )
    query = select(MatchAlert, Demand).join(Demand, Demand.id == MatchAlert.demand_id)
    return _read(session, listing, query, visible, _demand_alert, after=after, limit=limit)


def _listing_alert(alert: MatchAlert, listing: Listing) -> ListingAlert:
    return ListingAlert(
        id=alert.id,
        kind=alert.kind,
        score=alert.score,
        recorded_at=alert.created_at,
        listing=listings.to_read(listing),
        previous_licence=_terms(alert.previous_terms),
    )


def _demand_alert(alert: MatchAlert, demand: Demand) -> DemandAlert:
    return DemandAlert(
        id=alert.id,
        kind=alert.kind,
        score=alert.score,
        recorded_at=alert.created_at,
        demand=demands.to_read(demand),
    )


def _read(
    session: Session,
    owner: Demand | Listing,
    query: Select[*tuple[Any, ...]],
    visible: tuple[ColumnElement[bool], ...],
    item: Callable[[MatchAlert, Any], A],
    *,
    after: int | None,
    limit: int,
) -> AlertPage[A]:
    """Return `owner`'s visible alerts after the cursor, or after its seen-marker, which advances.

    `query` selects each alert with the record it points to; `item` makes the alert's API view.
    """
    start = after if after is not None else owner.alerts_seen_id or 0
    items = [item(alert, other) for alert, other in _page(session, query, visible, start, limit)]
    cursor = items[-1].id if items else start
    remaining = _count_after(session, query, visible, cursor)
    if after is None and items:
        owner.alerts_seen_id = cursor
        session.flush()
    return AlertPage(items=items, remaining=remaining, cursor=cursor, marked_seen=after is None)


def _page(
    session: Session,
    query: Select[*tuple[Any, ...]],
    visible: tuple[ColumnElement[bool], ...],
    start: int,
    limit: int,
) -> list[Any]:
    ordered = query.where(*visible, MatchAlert.id > start).order_by(MatchAlert.id).limit(limit)
    return [tuple(row) for row in session.execute(ordered)]


def _count_after(
    session: Session,
    query: Select[*tuple[Any, ...]],
    visible: tuple[ColumnElement[bool], ...],
    cursor: int,
) -> int:
    counted = query.where(*visible, MatchAlert.id > cursor).with_only_columns(
        func.count(MatchAlert.id)
    )
    return session.scalar(counted) or 0


def _terms(stored: dict[str, Any] | None) -> LicenceTerms | None:
    return None if stored is None else LicenceTerms.model_validate(stored)
