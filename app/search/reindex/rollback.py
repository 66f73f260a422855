"""Roll the live index back to an earlier kept snapshot; API processes follow on their next poll.

The target is a version number from `index_versions` (`patentbridge reindex --rollback 7`) or,
by default, the newest kept snapshot older than the live one. The snapshot must still be on
disk (the re-index keeps `SNAPSHOTS_KEEP`) and be built with the running model. After the
switch each process loads it and catches up with every row changed after its watermark, so a
rollback replaces a bad build, never the data. The next re-index builds afresh from the
database: pause the cron job to stay on the old snapshot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.db import session_scope
from app.core.errors import Conflict, NotFound
from app.core.i18n import reason_of, tr
from app.search import snapshots
from app.search import versions as index_versions
from app.search.reindex.lock import ReindexLock, bind_of
from matching.embedder import Embedder
from matching.index import IndexMeta, SnapshotError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RollbackResult:
    """Which snapshot went live instead of which."""

    version_id: int
    snapshot: str
    previous: str | None
    target_version: int | None

    def summary(self) -> str:
        """Return one line saying what happened."""
        target = f" (version {self.target_version})" if self.target_version else ""
        return (
            f"reindex rollback ok: version {self.version_id}, snapshot {self.snapshot}{target} "
            f"is live instead of {self.previous or 'none'}"
        )


def rollback(
    *,
    settings: Settings,
    factory: sessionmaker[Session],
    embedder: Embedder,
    version: int | None = None,
) -> RollbackResult:
    """Point CURRENT at an earlier snapshot and record it.

    Raises:
        ReindexBusy: a re-index is running.
        NotFound: the version does not exist or its snapshot was deleted; no earlier snapshot.
        Conflict: the snapshot was built with another model, or is already live.
    """
    index_dir = settings.index_dir
    with ReindexLock(index_dir, bind_of(factory)):
        live = snapshots.current_name(index_dir)
        with session_scope(factory) as session:
            name, target_version = _target(session, index_dir, live, version)
        if name == live:
            raise Conflict(
                tr(
                    "快照 {name} 已经是当前使用的索引，无需回滚",
                    "snapshot {name} is already live",
                    name=name,
                ),
                loc=("version",),
            )
        meta = _checked_meta(index_dir, name, embedder)
        snapshots.switch(index_dir, name)
        with session_scope(factory) as session:
            row = index_versions.start(
                session=session, model_id=meta.model_id, dimension=meta.dimension
            )
            index_versions.finish(
                session=session,
                version_id=row.id,
                path=str(snapshots.path_of(index_dir, name)),
                index_type=meta.index_type,
                vector_count=meta.count,
                embedded_count=0,
                expired_count=0,
                watermark=snapshots.watermark_of(meta),
                embed_seconds=0.0,
                build_seconds=0.0,
                note=_note(name, target_version),
            )
    log.info("index rolled back", extra={"snapshot": name, "previous": live})
    return RollbackResult(
        version_id=row.id, snapshot=name, previous=live, target_version=target_version
    )


def _note(name: str, target_version: int | None) -> str:
    return f"rollback to {name}" + (f" (version {target_version})" if target_version else "")


def _target(
    session: Session, index_dir: Path, live: str | None, version: int | None
) -> tuple[str, int | None]:
    kept = snapshots.names(index_dir)
    if version is not None:
        row = index_versions.get(session=session, version_id=version)
        name = Path(row.path).name if row.path else ""
        if name not in kept:
            raise NotFound(
                tr(
                    "版本 {version} 的快照（{name}）已不在磁盘上；请改回滚到保留的快照之一：{kept}",
                    "the snapshot of version {version} ({name}) is no longer on disk; "
                    "kept snapshots: {kept}",
                    version=version,
                    name=name or tr("无", "none"),
                    kept=", ".join(kept) or tr("无", "none"),
                ),
                loc=("version",),
            )
        return name, version
    older = [n for n in kept if live is None or n < live]
    if not older:
        raise NotFound(
            tr(
                "没有比当前索引（{live}）更早的快照可回滚；请先重建索引",
                "no snapshot older than the live one ({live}) is kept",
                live=live or tr("无", "none"),
            ),
            loc=("version",),
        )
    built = index_versions.built(session=session, path=str(snapshots.path_of(index_dir, older[-1])))
    return older[-1], built.id if built is not None else None


def _checked_meta(index_dir: Path, name: str, embedder: Embedder) -> IndexMeta:
    try:
        meta = snapshots.read_meta(index_dir, name)
    except SnapshotError as exc:
        raise Conflict(
            tr(
                "快照 {name} 无法使用：{reason}",
                "snapshot {name} cannot be used: {reason}",
                name=name,
                reason=reason_of(exc),
            ),
            loc=("version",),
        ) from exc
    if (meta.model_id, meta.dimension) != (embedder.model_id, embedder.dimension):
        raise Conflict(
            tr(
                "快照 {name} 是用模型 {built!r}（{dimension} 维）建的，而当前运行的模型是 "
                "{running!r}，各进程会拒绝加载它；请选用同一模型建的快照，或重建索引",
                "snapshot {name} was built with model {built!r} ({dimension}-d); "
                "the running model is {running!r}: processes would refuse it",
                name=name,
                built=meta.model_id,
                dimension=meta.dimension,
                running=embedder.model_id,
            ),
            loc=("version",),
        )
    return meta
