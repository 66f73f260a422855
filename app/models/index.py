"""The re-index runs (and rollbacks) of the search index."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, enum_column, utcnow


class IndexVersionStatus(enum.StrEnum):
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"
    RETIRED = "retired"


class IndexVersion(Base):
    """One built index snapshot: what it holds, how it was built, and where it lives."""

    __tablename__ = "index_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[IndexVersionStatus] = mapped_column(
        enum_column(IndexVersionStatus, "index_version_status"), default=IndexVersionStatus.BUILDING
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
