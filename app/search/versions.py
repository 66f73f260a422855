"""The record of re-index runs (`index_versions`): one row per run, building → ready / failed.

A row's `path` is the snapshot the run left live: the one it built, the one it found still
current ("unchanged"), or the one it rolled back to. Rows of snapshots deleted by retention
become `retired`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.core.errors import NotFound
from app.core.i18n import tr
from app.models import IndexVersion, IndexVersionStatus, utcnow

INTERRUPTED = "interrupted: the run stopped before finishing (killed, or the machine went down)"


def start(*, session: Session, model_id: str, dimension: int) -> IndexVersion:
    """Record that a run has started."""
    version = IndexVersion(
        status=IndexVersionStatus.BUILDING,
        model_id=model_id,
        dimension=dimension,
        index_type="",
        path="",
        started_at=utcnow(),
    )
    session.add(version)
    session.flush()
    return version


def fail_interrupted(*, session: Session, running: int | None = None) -> int:
    """Mark failed every run still `building` except `running`; return how many.

    Only the holder of the re-index lock may call this: then no other run is alive.
    """
    query = update(IndexVersion).where(IndexVersion.status == IndexVersionStatus.BUILDING)
    if running is not None:
        query = query.where(IndexVersion.id != running)
    result = session.execute(
        query.values(status=IndexVersionStatus.FAILED, error=INTERRUPTED, finished_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def fail(*, session: Session, version_id: int, error: str) -> None:
    """Record that a run failed, with the reason."""
    version = get(session=session, version_id=version_id)
    version.status = IndexVersionStatus.FAILED
    version.error = error[:4000]
    version.finished_at = utcnow()
    session.flush()


def retire(*, session: Session, paths: Sequence[str]) -> int:
    """Mark retired the ready rows whose snapshot was deleted; return how many."""
    if not paths:
        return 0
    result = session.execute(
        update(IndexVersion)
        .where(IndexVersion.path.in_(list(paths)), IndexVersion.status == IndexVersionStatus.READY)
        .values(status=IndexVersionStatus.RETIRED),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def get(*, session: Session, version_id: int) -> IndexVersion:
    """Return a run by id, or raise NotFound."""
    version = session.get(IndexVersion, version_id)
    if version is None:
        raise NotFound(
            tr(
                "索引版本 {id} 不存在；可在 GET /v1/index 的 runs 中查看已有的版本",
                "index version {id} does not exist",
                id=version_id,
            ),
            loc=("version",),
        )
    return version


def recent(*, session: Session, limit: int = 10) -> list[IndexVersion]:
    """Return the latest runs, newest first."""
    return list(session.scalars(select(IndexVersion).order_by(IndexVersion.id.desc()).limit(limit)))


def last_ready(*, session: Session) -> IndexVersion | None:
    """Return the newest re-index run (not a rollback) that finished well."""
    return session.scalar(
        select(IndexVersion)
        .where(
            IndexVersion.status.in_([IndexVersionStatus.READY, IndexVersionStatus.RETIRED]),
            or_(IndexVersion.note.is_(None), ~IndexVersion.note.startswith("rollback")),
        )
        .order_by(IndexVersion.id.desc())
        .limit(1)
    )


def built(*, session: Session, path: str) -> IndexVersion | None:
    """Return the run that built the snapshot at `path` (not a rollback or unchanged run)."""
    return session.scalar(
        select(IndexVersion)
        .where(IndexVersion.path == path, IndexVersion.note.is_(None))
        .order_by(IndexVersion.id)
        .limit(1)
    )


def finish(
    *,
    session: Session,
    version_id: int,
    path: str,
    index_type: str,
    vector_count: int,
    embedded_count: int,
    expired_count: int,
    watermark: datetime | None,
    embed_seconds: float,
    build_seconds: float,
    note: str | None = None,
) -> IndexVersion:
    """Record that a run finished well and what it left live."""
    version = get(session=session, version_id=version_id)
    version.status = IndexVersionStatus.READY
    version.path = path
    version.index_type = index_type
    version.vector_count = vector_count
    version.embedded_count = embedded_count
    version.expired_count = expired_count
    version.watermark = watermark
    version.embed_seconds = embed_seconds
    version.build_seconds = build_seconds
    version.note = note
    version.finished_at = utcnow()
    session.flush()
    return version
