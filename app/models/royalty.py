"""Imported royalty tables and their rows."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, enum_column, utcnow


class RoyaltyTableKind(enum.StrEnum):
    CNIPA_LICENCE_STATS = "cnipa_licence_stats"
    NBS_INDUSTRY_PROFIT = "nbs_industry_profit"


class RoyaltyTable(Base):
    """One statistics table an operator imported for royalty guidance, with its source."""

    __tablename__ = "royalty_tables"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RoyaltyTableKind] = mapped_column(
        enum_column(RoyaltyTableKind, "royalty_table_kind")
    )
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
