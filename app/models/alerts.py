"""Alert runs, the alerts they record, and the matches they have seen."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, enum_column, random_id, utcnow


class AlertFeed(enum.StrEnum):
    """Whose alert list an alert belongs to."""

    DEMAND = "demand"  # a listing, for the owner of a demand with an alert threshold
    LISTING = "listing"  # a public demand, for the holder of a listing


class AlertKind(enum.StrEnum):
    NEW_LISTING = "new_listing"
    LISTING_CHANGED = "listing_changed"
    FEE_CHANGED = "fee_changed"
    NEW_DEMAND = "new_demand"
    DEMAND_CHANGED = "demand_changed"


class AlertRun(Base):
    """One pass of the alerts job: the window of changes it examined and what it recorded."""

    __tablename__ = "alert_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    demands_ranked: Mapped[int] = mapped_column(Integer, default=0)
    demand_alerts: Mapped[int] = mapped_column(Integer, default=0)
    listing_alerts: Mapped[int] = mapped_column(Integer, default=0)
    # Demands left out because no vector of the running model is stored for them.
    skipped: Mapped[int] = mapped_column(Integer, default=0)


class MatchAlert(Base):
    """A recorded alert: a listing for a demand's owner, or a public demand for a holder."""

    __tablename__ = "match_alerts"
    __table_args__ = (
        # A feed reads in (created_at, id) order: app/services/alerts/feed.py.
        Index("ix_match_alerts_feed_demand_id", "feed", "demand_id", "created_at", "id"),
        Index("ix_match_alerts_feed_listing_id", "feed", "listing_id", "created_at", "id"),
    )

    # Random, not a sequence: an owner's alert ids must not count everybody else's alerts.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=random_id)
    run_id: Mapped[int] = mapped_column(ForeignKey("alert_runs.id", ondelete="CASCADE"))
    feed: Mapped[AlertFeed] = mapped_column(enum_column(AlertFeed, "alert_feed"))
    kind: Mapped[AlertKind] = mapped_column(enum_column(AlertKind, "alert_kind"))
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id", ondelete="CASCADE"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    # The listing's fused score in the demand's ranking, as /v1/demands/{id}/matches shows it.
    score: Mapped[float] = mapped_column(Float)
    # The licence terms before a fee change, so the reader sees what moved.
    previous_terms: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # When it was recorded (`recorded_at` in the API); strictly increasing in recording order
    # (app/services/alerts/service.py), so that feeds read oldest first whatever the ids.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MatchObservation(Base):
    """What the alerts job last saw of a pair above its threshold: the memory against repeats."""

    __tablename__ = "match_observations"

    feed: Mapped[AlertFeed] = mapped_column(enum_column(AlertFeed, "alert_feed"), primary_key=True)
    demand_id: Mapped[int] = mapped_column(
        ForeignKey("demands.id", ondelete="CASCADE"), primary_key=True
    )
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    # Hash of the other side's text (the listing's for the demand feed, and vice versa).
    text_hash: Mapped[str] = mapped_column(String(64))
    # The listing's licence terms (demand feed only).
    terms: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
