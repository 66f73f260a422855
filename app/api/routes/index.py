"""The search index over HTTP, for operators: its status, and a rebuild on demand."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from app.api.deps import EngineDep, OperatorKey, SessionDep, SettingsDep
from app.models import IndexVersion
from app.schemas import IndexRun, IndexStatus, LiveSnapshot, RebuildStatus, ServingIndex
from app.search import snapshots
from app.search import versions as index_versions
from app.search.reindex.background import BackgroundReindex, RebuildState
from app.services import audit
from app.services.alerts.service import record_after_reindex
from matching.index import SnapshotError

router = APIRouter(prefix="/index", tags=["operations"])


def get_rebuilder(request: Request) -> BackgroundReindex:
    """Return the process's background re-index runner, created on first use."""
    state = request.app.state
    runner: BackgroundReindex | None = getattr(state, "rebuilder", None)
    if runner is None:
        runner = state.rebuilder = BackgroundReindex()
    return runner


RebuilderDep = Annotated[BackgroundReindex, Depends(get_rebuilder)]


@router.get("")
def index_status(
    _key: OperatorKey,
    session: SessionDep,
    settings: SettingsDep,
    engine: EngineDep,
    rebuilder: RebuilderDep,
) -> IndexStatus:
    """Report the live snapshot, what this process serves, and the latest re-index runs."""
    catalogue = engine.catalogue
    return IndexStatus(
        live=_live(settings.index_dir),
        serving=ServingIndex(
            snapshot=engine.snapshot,
            source=catalogue.source,
            listings=len(catalogue),
            watermark=catalogue.watermark,
            swaps=engine.swaps,
        ),
        rebuild=_rebuild(rebuilder.state),
        kept_snapshots=snapshots.names(settings.index_dir),
        runs=[_run(row) for row in index_versions.recent(session=session, limit=10)],
    )


@router.post("/rebuild", status_code=status.HTTP_202_ACCEPTED)
def rebuild(
    key: OperatorKey,
    session: SessionDep,
    settings: SettingsDep,
    engine: EngineDep,
    rebuilder: RebuilderDep,
    request: Request,
    force: bool = False,
) -> RebuildStatus:
    """Start the re-index job on a background thread; 409 while one is running anywhere."""

    def accepted() -> None:
        # Committed before the job's thread starts: they must not share a connection at once.
        audit.record(
            session=session,
            key=key,
            action="index.rebuild",
            entity_type="index",
            detail={"force": force},
        )
        session.commit()

    state = rebuilder.start(
        settings=settings,
        factory=request.app.state.session_factory,
        engine=engine,
        after_switch=record_after_reindex,
        force=force,
        on_accepted=accepted,
    )
    return _rebuild(state)


def _live(index_dir: Path) -> LiveSnapshot | None:
    name = snapshots.current_name(index_dir)
    if name is None:
        return None
    try:
        meta = snapshots.read_meta(index_dir, name)
    except (SnapshotError, OSError):
        return None
    return LiveSnapshot(
        snapshot=name,
        model_id=meta.model_id,
        index_type=meta.index_type,
        count=meta.count,
        built_at=meta.built_at,
        watermark=meta.watermark,
    )


def _run(row: IndexVersion) -> IndexRun:
    return IndexRun(
        id=row.id,
        status=row.status.value,
        model_id=row.model_id,
        index_type=row.index_type,
        vector_count=row.vector_count,
        embedded_count=row.embedded_count,
        expired_count=row.expired_count,
        watermark=row.watermark,
        snapshot=Path(row.path).name if row.path else None,
        note=row.note,
        started_at=row.started_at,
        finished_at=row.finished_at,
        embed_seconds=row.embed_seconds,
        build_seconds=row.build_seconds,
        error=row.error,
    )


def _rebuild(state: RebuildState) -> RebuildStatus:
    return RebuildStatus(
        running=state.running,
        started_at=state.started_at,
        finished_at=state.finished_at,
        summary=state.summary,
        error=state.error,
    )
