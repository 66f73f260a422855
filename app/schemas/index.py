"""The search index as the operations API reports it: live snapshot, serving, runs."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class IndexRun(BaseModel):
    """One re-index run (or rollback) as recorded in `index_versions`."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    model_id: str
    index_type: str
    vector_count: int
    embedded_count: int
    expired_count: int
    watermark: datetime | None
    snapshot: str | None = Field(description="the snapshot the run left live")
    note: str | None = Field(description="unchanged, rollback to ..., or null for a build")
    started_at: datetime
    finished_at: datetime | None
    embed_seconds: float | None
    build_seconds: float | None
    error: str | None


class LiveSnapshot(BaseModel):
    """The snapshot `INDEX_DIR/CURRENT` names, from its sidecar."""

    snapshot: str
    model_id: str
    index_type: str
    count: int
    built_at: str
    watermark: str | None


class ServingIndex(BaseModel):
    """What the answering API process searches right now."""

    snapshot: str | None
    source: str
    listings: int
    watermark: datetime | None
    swaps: int = Field(description="snapshots this process swapped in since it started")


class RebuildStatus(BaseModel):
    """The last `POST /v1/index/rebuild` run of the answering process."""

    running: bool
    started_at: datetime | None
    finished_at: datetime | None
    summary: str | None
    error: str | None


class IndexStatus(BaseModel):
    """`GET /v1/index`: the live snapshot, what this process serves, and the last runs."""

    live: LiveSnapshot | None
    serving: ServingIndex
    rebuild: RebuildStatus
    kept_snapshots: list[str]
    runs: list[IndexRun]
