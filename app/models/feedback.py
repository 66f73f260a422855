"""An SME's verdict on a match of one of its demands."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, enum_column, utcnow


class Verdict(enum.StrEnum):
    RELEVANT = "relevant"
    NOT_RELEVANT = "not_relevant"


class Feedback(Base):
    """An SME's verdict on one listing shown for one of its demands."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("demand_id", "listing_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id", ondelete="CASCADE"))
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    verdict: Mapped[Verdict] = mapped_column(enum_column(Verdict, "verdict"))
    reason: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
