"""A technology demand of an SME, and its stored vector."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, random_id, utcnow
from app.models.organisations import Organisation


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class DemandStatus(enum.StrEnum):
    OPEN = "open"
    WITHDRAWN = "withdrawn"


class Demand(Base):
    """A technology demand posted by an enterprise."""

    __tablename__ = "demands"

    # Random, not a sequence: ids must not reveal how many demands others posted.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=random_id)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text)
    industry_code: Mapped[str | None] = mapped_column(String(3))
    province: Mapped[str | None] = mapped_column(String(20))
    budget_yuan: Mapped[float | None] = mapped_column(Numeric(16, 2, asdecimal=False))
    # The SME's expected annual net sales of the product: what its matches' fees are priced for.
    annual_sales_yuan: Mapped[float | None] = mapped_column(Numeric(16, 2, asdecimal=False))
    visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "visibility"), default=Visibility.PRIVATE
    )
    status: Mapped[DemandStatus] = mapped_column(
        enum_column(DemandStatus, "demand_status"), default=DemandStatus.OPEN, index=True
    )
    # Alerts on new matches (app/services/alerts/service.py): off while the threshold is None; only
    # listings that change after `alerts_since` can alert.
    alert_min_score: Mapped[float | None] = mapped_column(Float)
    alerts_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    alerts_seen_id: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Every UPDATE says "WHERE version = <the version read>": a row changed meanwhile by
    # another transaction matches nothing and raises StaleDataError instead of being
    # overwritten. The services bump the version themselves, once per real change.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class DemandEmbedding(Base):
    """A demand's query vector under one model, computed once per text and model."""

    __tablename__ = "demand_embeddings"

    demand_id: Mapped[int] = mapped_column(
        ForeignKey("demands.id", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64))
    dimension: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
