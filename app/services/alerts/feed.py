"""Reading alerts: what changed since the owner last looked.

A feed is read oldest first, in `(created_at, id)` order: alert ids are random, so that they
count nobody else's alerts, and the alerts job stamps each alert later than the one before.
A cursor is still an alert id: it stands for that alert's place in the owner's own feed.

Each demand and listing keeps a seen-marker (the id of the last alert its owner has read).
A read without a cursor returns the alerts after the marker and moves the marker to the last
one returned, so the next read starts where this one stopped; a read with `after=<id>` returns
the alerts after that one and leaves the marker alone (re-reading history; 0 is the start).

What may be shown is decided when reading, not only when recording: a listing that has left
the catalogue drops out of a demand's alerts, and a demand that is no longer open and public
drops out of a listing's alerts and out of its counts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select, tuple_
from sqlalchemy.orm import Session

from app.core.errors import InvalidInput
from app.core.i18n import tr
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
from app.services import demands
from app.services.listings import service as listings

# The API view of one alert: what a demand's feed or a listing's feed returns.
A = TypeVar("A", ListingAlert, DemandAlert)
# Where a cursor stands in a feed: its alert's (created_at, id); None is before the first.
Position = tuple[datetime, int] | None


def for_demand(
    *, session: Session, demand: Demand, after: int | None, limit: int
) -> AlertPage[ListingAlert]:
    """Return a demand's listing alerts after the cursor (or its seen-marker, which advances)."""
    feed = (MatchAlert.feed == AlertFeed.DEMAND, MatchAlert.demand_id == demand.id)
    query = select(MatchAlert, Listing).join(Listing, Listing.id == MatchAlert.listing_id)
    visible = (Listing.status == ListingStatus.ACTIVE,)
    return _read(session, demand, feed, query, visible, _listing_alert, after=after, limit=limit)


def for_listing(
    *, session: Session, listing: Listing, after: int | None, limit: int
) -> AlertPage[DemandAlert]:
    """Return a listing's demand alerts after the cursor (or its seen-marker, which advances).

    Only demands that are open and public now are shown or counted: a demand made private
    after the alert was recorded must not leak to the listing's holder.
    """
    feed = (MatchAlert.feed == AlertFeed.LISTING, MatchAlert.listing_id == listing.id)
    query = select(MatchAlert, Demand).join(Demand, Demand.id == MatchAlert.demand_id)
    visible = (Demand.status == DemandStatus.OPEN, Demand.visibility == Visibility.PUBLIC)
    return _read(session, listing, feed, query, visible, _demand_alert, after=after, limit=limit)


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
    feed: tuple[ColumnElement[bool], ...],
    query: Select[*tuple[Any, ...]],
    visible: tuple[ColumnElement[bool], ...],
    item: Callable[[MatchAlert, Any], A],
    *,
    after: int | None,
    limit: int,
) -> AlertPage[A]:
    """Return `owner`'s visible alerts after the cursor, or after its seen-marker, which advances.

    `feed` selects the owner's alerts, `visible` those that may be shown now; `query` selects
    each alert with the record it points to, and `item` makes the alert's API view.
    """
    start = after if after is not None else owner.alerts_seen_id or 0
    # A marker whose alert is gone (alerts are never deleted today) reads from the start:
    # better twice than never.
    position = _position(session, feed, start)
    if position is None and start and after is not None:
        # The same answer whether the id is another owner's alert or no alert at all.
        raise InvalidInput(
            tr(
                "after 不在本提醒列表中：请填写本列表返回过的提醒 id（或 cursor），或填 0 从头读取",
                "after is not an alert of this list: give an alert id (or cursor) this list "
                "returned, or 0 to read from the start",
            ),
            loc=("query", "after"),
        )
    shown = query.where(*feed, *visible)
    rows = [tuple(row) for row in session.execute(_after(shown, position).limit(limit))]
    items = [item(alert, other) for alert, other in rows]
    if rows:
        last: MatchAlert = rows[-1][0]
        start, position = last.id, (last.created_at, last.id)
    remaining = session.scalar(
        _after(shown, position).order_by(None).with_only_columns(func.count(MatchAlert.id))
    )
    if after is None and items:
        owner.alerts_seen_id = start
        session.flush()
    return AlertPage(items=items, remaining=remaining or 0, cursor=start, marked_seen=after is None)


def _position(session: Session, feed: tuple[ColumnElement[bool], ...], alert_id: int) -> Position:
    """Return where alert `alert_id` stands in the owner's feed, or None when it is not there.

    Alerts hidden now (a listing withdrawn since) still hold their place: the owner saw them.
    """
    if not alert_id:
        return None
    found = session.execute(
        select(MatchAlert.created_at, MatchAlert.id).where(*feed, MatchAlert.id == alert_id)
    ).first()
    return None if found is None else (found[0], found[1])


def _after(query: Select[*tuple[Any, ...]], position: Position) -> Select[*tuple[Any, ...]]:
    """Return `query` limited to the alerts after `position`, oldest first."""
    if position is not None:
        query = query.where(tuple_(MatchAlert.created_at, MatchAlert.id) > position)
    return query.order_by(MatchAlert.created_at, MatchAlert.id)


def _terms(stored: dict[str, Any] | None) -> LicenceTerms | None:
    return None if stored is None else LicenceTerms.model_validate(stored)
