"""A patent listing as a TTO declares it, and its stored vector."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, utcnow
from app.models.organisations import Organisation


class PatentType(enum.StrEnum):
    INVENTION = "invention"
    UTILITY_MODEL = "utility_model"
    DESIGN = "design"


class ListingStatus(enum.StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class RoyaltyType(enum.StrEnum):
    FIXED = "fixed"
    PERCENTAGE = "percentage"
    ENTRY_PLUS_PERCENTAGE = "entry_plus_percentage"
    FREE = "free"
    NEGOTIABLE = "negotiable"


class Listing(Base):
    """An open-licence patent offered by a university or institute."""

    __tablename__ = "listings"
    __table_args__ = (Index("ix_listings_status_updated_at", "status", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    patent_number: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    abstract: Mapped[str] = mapped_column(Text)
    claims: Mapped[str | None] = mapped_column(Text)
    ipc_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # ";G06F 16/33;H04L 9/08;": lets an IPC-prefix filter run as one LIKE on both databases.
    ipc_search: Mapped[str] = mapped_column(Text)
    patent_type: Mapped[PatentType] = mapped_column(enum_column(PatentType, "patent_type"))
    application_date: Mapped[date] = mapped_column(Date)
    grant_date: Mapped[date | None] = mapped_column(Date)
    expiry_date: Mapped[date] = mapped_column(Date)
    legal_status: Mapped[str | None] = mapped_column(String(50))
    industry_code: Mapped[str | None] = mapped_column(String(3), index=True)
    province: Mapped[str | None] = mapped_column(String(20), index=True)
    contact: Mapped[str | None] = mapped_column(String(500))
    royalty_type: Mapped[RoyaltyType] = mapped_column(enum_column(RoyaltyType, "royalty_type"))
    rate_percent: Mapped[float | None] = mapped_column(Numeric(7, 3, asdecimal=False))
    fixed_fee_yuan: Mapped[float | None] = mapped_column(Numeric(16, 2, asdecimal=False))
    entry_fee_yuan: Mapped[float | None] = mapped_column(Numeric(16, 2, asdecimal=False))
    licence_term_years: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[ListingStatus] = mapped_column(
        enum_column(ListingStatus, "listing_status"), default=ListingStatus.ACTIVE
    )
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Every UPDATE says "WHERE version = <the version read>": a row changed meanwhile by
    # another transaction matches nothing and raises StaleDataError instead of being
    # overwritten. The services bump the version themselves, once per real change.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The id of the last alert its holder has read, in feed order (app/services/alerts/feed.py);
    # not a listing edit.
    alerts_seen_id: Mapped[int | None] = mapped_column(Integer)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class ListingEmbedding(Base):
    """A listing's vector under one model; several models coexist while a model change runs."""

    __tablename__ = "listing_embeddings"

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    model_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    # Hash of the embedded text: an edit that leaves the text alone is not embedded again.
    text_hash: Mapped[str] = mapped_column(String(64))
    dimension: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
