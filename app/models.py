"""ORM models: the database is the source of truth for everything the service knows."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(UTC)


# Ids are 32-bit integers in the database (app.schemas.MAX_ID checks them on input).
MAX_ROW_ID = 2**31 - 1


def random_id(context: DefaultExecutionContext) -> int:
    """Return an unused random id for the row being inserted.

    For records whose number is private (demands, alerts): a sequence would let an SME count
    everybody's demands, or everybody's alerts, from the gaps between its own ids. Two inserts
    picking the same new id at the same moment (about 1 in 2**31) fail on the primary key and
    are answered as an error, not merged.
    """
    column = context.current_column
    while True:
        candidate = secrets.randbelow(MAX_ROW_ID) + 1
        if context.connection.scalar(select(column).where(column == candidate)) is None:
            return candidate


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, so values come back naive; this restores UTC on the way out so that
    comparisons and JSON output are the same on both databases.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings with a named CHECK constraint: portable between SQLite and
    # PostgreSQL, and adding a value is a constraint change rather than an ALTER TYPE.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class OrganisationKind(enum.StrEnum):
    UNIVERSITY = "university"
    RESEARCH_INSTITUTE = "research_institute"
    ENTERPRISE = "enterprise"
    PLATFORM = "platform"


class Role(enum.StrEnum):
    TTO = "tto"
    SME = "sme"
    OPERATOR = "operator"


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


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class DemandStatus(enum.StrEnum):
    OPEN = "open"
    WITHDRAWN = "withdrawn"


class Verdict(enum.StrEnum):
    RELEVANT = "relevant"
    NOT_RELEVANT = "not_relevant"


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


class IndexVersionStatus(enum.StrEnum):
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"
    RETIRED = "retired"


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(_enum(OrganisationKind, "organisation_kind"))
    province: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiKey(Base):
    """An API key; only a salted hash of its secret is stored, the key is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    label: Mapped[str] = mapped_column(String(100), default="")
    # The public part of the key, used to find the row before the constant-time compare.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    salt: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship(lazy="joined")


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
    patent_type: Mapped[PatentType] = mapped_column(_enum(PatentType, "patent_type"))
    application_date: Mapped[date] = mapped_column(Date)
    grant_date: Mapped[date | None] = mapped_column(Date)
    expiry_date: Mapped[date] = mapped_column(Date)
    legal_status: Mapped[str | None] = mapped_column(String(50))
    industry_code: Mapped[str | None] = mapped_column(String(3), index=True)
    province: Mapped[str | None] = mapped_column(String(20), index=True)
    contact: Mapped[str | None] = mapped_column(String(500))
    royalty_type: Mapped[RoyaltyType] = mapped_column(_enum(RoyaltyType, "royalty_type"))
    rate_percent: Mapped[float | None] = mapped_column(Numeric(7, 3, asdecimal=False))
    fixed_fee_yuan: Mapped[float | None] = mapped_column(Numeric(16, 2, asdecimal=False))
    entry_fee_yuan: Mapped[float | None] = mapped_column(Numeric(16, 2, asdecimal=False))
    licence_term_years: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[ListingStatus] = mapped_column(
        _enum(ListingStatus, "listing_status"), default=ListingStatus.ACTIVE
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
        _enum(Visibility, "visibility"), default=Visibility.PRIVATE
    )
    status: Mapped[DemandStatus] = mapped_column(
        _enum(DemandStatus, "demand_status"), default=DemandStatus.OPEN, index=True
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
    verdict: Mapped[Verdict] = mapped_column(_enum(Verdict, "verdict"))
    reason: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IndexVersion(Base):
    """One built index snapshot: what it holds, how it was built, and where it lives."""

    __tablename__ = "index_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[IndexVersionStatus] = mapped_column(
        _enum(IndexVersionStatus, "index_version_status"), default=IndexVersionStatus.BUILDING
    )
    model_id: Mapped[str] = mapped_column(String(200))
    dimension: Mapped[int] = mapped_column(Integer)
    index_type: Mapped[str] = mapped_column(String(32))
    vector_count: Mapped[int] = mapped_column(Integer, default=0)
    embedded_count: Mapped[int] = mapped_column(Integer, default=0)
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime())
    path: Mapped[str] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    embed_seconds: Mapped[float | None] = mapped_column(Numeric(12, 3, asdecimal=False))
    build_seconds: Mapped[float | None] = mapped_column(Numeric(12, 3, asdecimal=False))
    error: Mapped[str | None] = mapped_column(Text)
    # Listings the run marked expired (patent term ended or open-licence term lapsed).
    expired_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # What kind of run this was when not a plain build: "unchanged", "rollback to version 7".
    note: Mapped[str | None] = mapped_column(String(200))


class AuditEntry(Base):
    """One write through the API or the CLI: who (key and organisation), what, and when.

    Written in the same transaction as the write it records, so neither exists without the
    other. The key's prefix is kept in clear so the record stays legible after the key is gone.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    key_prefix: Mapped[str | None] = mapped_column(String(16))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    # "create", "update", "withdraw", "import", "feedback", ...
    action: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


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
    feed: Mapped[AlertFeed] = mapped_column(_enum(AlertFeed, "alert_feed"))
    kind: Mapped[AlertKind] = mapped_column(_enum(AlertKind, "alert_kind"))
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

    feed: Mapped[AlertFeed] = mapped_column(_enum(AlertFeed, "alert_feed"), primary_key=True)
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


class RoyaltyTableKind(enum.StrEnum):
    CNIPA_LICENCE_STATS = "cnipa_licence_stats"
    NBS_INDUSTRY_PROFIT = "nbs_industry_profit"


class RoyaltyTable(Base):
    """One statistics table an operator imported for royalty guidance, with its source."""

    __tablename__ = "royalty_tables"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RoyaltyTableKind] = mapped_column(_enum(RoyaltyTableKind, "royalty_table_kind"))
    # The statistics year (the contracts recorded, or the profits earned, in that year).
    year: Mapped[int] = mapped_column(Integer)
    source_title: Mapped[str] = mapped_column(String(500))
    # A URL or a document number such as 国知办函运字〔2024〕1070号.
    source_reference: Mapped[str] = mapped_column(String(500))
    filename: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RoyaltyTableRow(Base):
    """One industry's figures in an imported table; the columns a kind does not use stay null."""

    __tablename__ = "royalty_table_rows"
    __table_args__ = (UniqueConstraint("table_id", "industry_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("royalty_tables.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(Integer)
    # Canonical GB/T 4754 code (`C`, `C39`) or `TOTAL` for all industry.
    industry_code: Mapped[str] = mapped_column(String(5))
    contracts: Mapped[int | None] = mapped_column(Integer)
    rate_mean_pct: Mapped[float | None] = mapped_column(Numeric(7, 3, asdecimal=False))
    rate_median_pct: Mapped[float | None] = mapped_column(Numeric(7, 3, asdecimal=False))
    rate_p25_pct: Mapped[float | None] = mapped_column(Numeric(7, 3, asdecimal=False))
    rate_p75_pct: Mapped[float | None] = mapped_column(Numeric(7, 3, asdecimal=False))
    fixed_fee_mean_yuan: Mapped[float | None] = mapped_column(Numeric(16, 2, asdecimal=False))
    revenue_100m_yuan: Mapped[float | None] = mapped_column(Numeric(16, 2, asdecimal=False))
    profit_100m_yuan: Mapped[float | None] = mapped_column(Numeric(16, 2, asdecimal=False))
    margin_pct: Mapped[float | None] = mapped_column(Numeric(7, 3, asdecimal=False))
