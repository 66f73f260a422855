"""`patentbridge reindex --rollback [VERSION]`: CURRENT goes back to a kept snapshot."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.errors import Conflict, NotFound
from app.core.i18n import render
from app.models import IndexVersion, IndexVersionStatus
from app.search import snapshots
from app.search.reindex.rollback import RollbackResult, rollback
from matching.embedder import HashingEmbedder
from tests.app.search.reindex.helpers import add_listings, run_job
from tests.factories import Actors


def _rollback(
    settings: Settings, factory: sessionmaker[Session], version: int | None = None
) -> RollbackResult:
    return rollback(
        settings=settings, factory=factory, embedder=HashingEmbedder(64), version=version
    )


def test_rollback_without_a_version_returns_to_the_previous_snapshot_and_records_it(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    add_listings(session, actors.tto.organisation, 2)
    first = run_job(settings, session_factory)
    add_listings(session, actors.tto.organisation, 1)
    second = run_job(settings, session_factory)

    done = _rollback(settings, session_factory)

    assert snapshots.current_name(settings.index_dir) == first.snapshot
    assert (done.snapshot, done.previous, done.target_version) == (
        first.snapshot,
        second.snapshot,
        first.version_id,
    )
    row = session.get(IndexVersion, done.version_id)
    assert row is not None
    assert (row.status, row.vector_count) == (IndexVersionStatus.READY, 2)
    assert row.note == f"rollback to {first.snapshot} (version {first.version_id})"
    assert done.summary().startswith(f"reindex rollback ok: version {done.version_id}")


def test_rollback_to_a_named_version_and_refusals(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    add_listings(session, actors.tto.organisation, 1)
    keep_two = settings.model_copy(update={"snapshots_keep": 2})
    runs = [run_job(keep_two, session_factory, force=True) for _ in range(3)]

    with pytest.raises(NotFound, match="no longer on disk"):
        _rollback(keep_two, session_factory, runs[0].version_id)
    with pytest.raises(Conflict, match="already live"):
        _rollback(keep_two, session_factory, runs[2].version_id)
    with pytest.raises(NotFound, match="does not exist"):
        _rollback(keep_two, session_factory, 10_000)
    with pytest.raises(Conflict, match="built with model 'hash-64'"):
        rollback(
            settings=keep_two,
            factory=session_factory,
            embedder=HashingEmbedder(32),
            version=runs[1].version_id,
        )

    done = _rollback(keep_two, session_factory, runs[1].version_id)

    assert snapshots.current_name(settings.index_dir) == runs[1].snapshot == done.snapshot
    newest = session.scalar(select(IndexVersion).order_by(IndexVersion.id.desc()).limit(1))
    assert newest is not None and newest.id == done.version_id


def test_a_rollback_stays_live_until_something_changes(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    add_listings(session, actors.tto.organisation, 1)
    first = run_job(settings, session_factory)
    run_job(settings, session_factory, force=True)
    _rollback(settings, session_factory)

    assert run_job(settings, session_factory).changed is False
    assert snapshots.current_name(settings.index_dir) == first.snapshot
    add_listings(session, actors.tto.organisation, 1)
    assert run_job(settings, session_factory).changed is True


def test_rollback_with_no_earlier_snapshot_is_refused(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    add_listings(session, actors.tto.organisation, 1)
    run_job(settings, session_factory)

    with pytest.raises(NotFound, match="no snapshot older than the live one"):
        _rollback(settings, session_factory)


def test_rollback_refusals_are_worded_in_chinese_too(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    add_listings(session, actors.tto.organisation, 1)
    only = run_job(settings, session_factory)

    with pytest.raises(NotFound) as none_older:
        _rollback(settings, session_factory)
    with pytest.raises(Conflict) as live:
        _rollback(settings, session_factory, only.version_id)

    assert render(none_older.value.msg, "zh") == (
        f"没有比当前索引（{only.snapshot}）更早的快照可回滚；请先重建索引"
    )
    assert render(live.value.msg, "zh") == f"快照 {only.snapshot} 已经是当前使用的索引，无需回滚"
    assert render(live.value.msg, "en") == f"snapshot {only.snapshot} is already live"
