"""The re-index job: build, no-change runs, incremental and resumable embedding, the lock."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.models import IndexVersion, IndexVersionStatus, Listing, ListingStatus, utcnow
from app.search import snapshots
from app.search.reindex import build as reindex_build
from app.search.reindex.lock import ReindexBusy, ReindexLock, bind_of
from app.search.reindex.run import ReindexOutcome
from matching.embedder import HashingEmbedder
from tests.app.search.reindex.helpers import add_listing, add_listings, run_job, vectors_stored
from tests.factories import Actors


def _versions(session: Session) -> list[IndexVersion]:
    session.expire_all()
    return list(session.scalars(select(IndexVersion).order_by(IndexVersion.id)))


def test_first_reindex_builds_a_live_snapshot_of_every_active_listing_and_records_it(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    made = add_listings(session, actors.tto.organisation, 6)
    withdrawn = made[0]
    session.execute(
        update(Listing)
        .where(Listing.id == withdrawn.id)
        .values(status=ListingStatus.WITHDRAWN, version=Listing.version + 1)
    )
    session.commit()

    result = run_job(settings, session_factory)

    assert (result.changed, result.listings, result.index_type) == (True, 5, "flat")
    assert (result.embedded, result.tokenised, result.expired) == (0, 5, 0)
    assert snapshots.current_name(settings.index_dir) == result.snapshot
    live = snapshots.load_newest(settings.index_dir, model_id="hash-64", dimension=64)
    assert live is not None
    assert live.index.ids().tolist() == sorted(m.id for m in made[1:])
    assert len(live.lexical) == 5
    [row] = _versions(session)
    assert row.status is IndexVersionStatus.READY
    assert (row.model_id, row.dimension, row.index_type) == ("hash-64", 64, "flat")
    assert (row.vector_count, row.embedded_count, row.expired_count, row.note) == (5, 0, 0, None)
    assert row.path == str(snapshots.path_of(settings.index_dir, result.snapshot or ""))
    assert row.watermark == max(m.updated_at for m in made)
    assert row.finished_at is not None and row.build_seconds is not None
    assert result.summary().startswith(f"reindex ok: version {row.id}, new snapshot ")


def test_reindex_that_finds_nothing_changed_writes_no_snapshot_and_records_an_unchanged_run(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    add_listings(session, actors.tto.organisation, 3)
    first = run_job(settings, session_factory)

    second = run_job(settings, session_factory)

    assert second.changed is False
    assert second.snapshot == first.snapshot
    assert snapshots.names(settings.index_dir) == [first.snapshot]
    assert (second.embedded, second.tokenised, second.listings) == (0, 0, 3)
    rows = _versions(session)
    assert [(r.status, r.note) for r in rows] == [
        (IndexVersionStatus.READY, None),
        (IndexVersionStatus.READY, "unchanged"),
    ]
    assert "nothing changed" in second.summary()


def test_a_fee_edit_rebuilds_without_embedding_and_a_text_edit_embeds_only_that_listing(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    made = add_listings(session, actors.tto.organisation, 4)
    run_job(settings, session_factory)
    session.execute(
        update(Listing)
        .where(Listing.id == made[1].id)
        .values(rate_percent=5.0, version=Listing.version + 1)
    )
    session.commit()

    fee = run_job(settings, session_factory)

    assert (fee.changed, fee.embedded, fee.tokenised) == (True, 0, 0)
    # The API embeds on write; a text written behind its back is embedded by the job.
    session.execute(
        update(Listing)
        .where(Listing.id == made[2].id)
        .values(
            title="一种全新的纳米涂层制备方法", version=Listing.version + 1, updated_at=utcnow()
        )
    )
    session.commit()

    text = run_job(settings, session_factory)

    assert (text.changed, text.embedded, text.tokenised) == (True, 1, 1)


def test_model_change_reembeds_everything_in_committed_batches_and_a_killed_run_resumes(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    add_listings(session, actors.tto.organisation, 7)
    run_job(settings, session_factory)
    new_model = HashingEmbedder(32)
    small = settings.model_copy(update={"reindex_batch": 2})
    batches = 0

    def die_on_second_batch(stage: str) -> None:
        nonlocal batches
        if stage == "embedded-batch":
            batches += 1
            if batches == 2:
                raise KeyboardInterrupt  # stands in for a kill: not an ordinary failure

    with pytest.raises(KeyboardInterrupt):
        run_job(small, session_factory, embedder=new_model, on_stage=die_on_second_batch)

    assert vectors_stored(session, "hash-32") == 4
    assert vectors_stored(session, "hash-64") == 7

    resumed = run_job(small, session_factory, embedder=new_model)

    assert (resumed.embedded, resumed.listings, resumed.changed) == (3, 7, True)
    assert vectors_stored(session, "hash-32") == 7
    meta = snapshots.read_meta(settings.index_dir, resumed.snapshot or "")
    assert (meta.model_id, meta.dimension, meta.count) == ("hash-32", 32, 7)
    statuses = [r.status for r in _versions(session)]
    assert statuses == [
        IndexVersionStatus.READY,
        IndexVersionStatus.FAILED,  # the killed run: marked by the next one
        IndexVersionStatus.READY,
    ]


def test_a_failing_run_is_recorded_failed_and_leaves_the_live_snapshot(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    add_listings(session, actors.tto.organisation, 2)
    first = run_job(settings, session_factory)
    add_listings(session, actors.tto.organisation, 1)

    def explode(stage: str) -> None:
        if stage == "building":
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        run_job(settings, session_factory, on_stage=explode)

    assert snapshots.current_name(settings.index_dir) == first.snapshot
    last = _versions(session)[-1]
    assert (last.status, last.error) == (IndexVersionStatus.FAILED, "RuntimeError: disk on fire")


def test_a_second_run_while_the_lock_is_held_is_refused_as_busy(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    add_listings(session, actors.tto.organisation, 1)
    other = ReindexLock(settings.index_dir, None)
    other.acquire()
    try:
        with pytest.raises(ReindexBusy, match="another re-index is running"):
            run_job(settings, session_factory)
    finally:
        other.release()

    assert _versions(session) == []
    assert run_job(settings, session_factory).changed is True


def test_postgresql_advisory_lock_excludes_a_run_on_another_machine(
    settings: Settings, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    bind = bind_of(session_factory)
    if bind is None or bind.dialect.name != "postgresql":
        pytest.skip("the advisory lock exists on PostgreSQL only")
    # Another machine: its own INDEX_DIR (so its own file lock), the same database.
    elsewhere = ReindexLock(tmp_path / "other-machine", bind.engine)
    elsewhere.acquire()
    try:
        with pytest.raises(ReindexBusy, match="advisory lock"):
            run_job(settings, session_factory)
    finally:
        elsewhere.release()


def test_only_the_newest_snapshots_are_kept_and_the_deleted_ones_are_retired(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    add_listings(session, actors.tto.organisation, 2)
    keep_two = settings.model_copy(update={"snapshots_keep": 2})
    built = [run_job(keep_two, session_factory, force=True).snapshot for _ in range(4)]

    assert snapshots.names(settings.index_dir) == built[2:]
    assert snapshots.current_name(settings.index_dir) == built[3]
    assert [r.status for r in _versions(session)] == [IndexVersionStatus.RETIRED] * 2 + [
        IndexVersionStatus.READY
    ] * 2


def test_the_alerts_hook_gets_the_new_snapshot_and_the_listings_that_changed(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    made = add_listings(session, actors.tto.organisation, 3)
    run_job(settings, session_factory)
    session.execute(
        update(Listing)
        .where(Listing.id == made[0].id)
        .values(status=ListingStatus.WITHDRAWN, version=Listing.version + 1)
    )
    session.commit()
    new = add_listing(session, actors.tto.organisation, embedder=HashingEmbedder(64))
    seen: list[ReindexOutcome] = []

    def record(*, session: Session, outcome: ReindexOutcome) -> None:
        seen.append(outcome)

    result = run_job(settings, session_factory, after_switch=record)

    [outcome] = seen
    assert (outcome.version_id, outcome.snapshot) == (result.version_id, result.snapshot)
    assert (outcome.changed_ids, outcome.removed_ids) == ([new.id], [made[0].id])
    assert sorted(outcome.index.ids().tolist()) == sorted([made[1].id, made[2].id, new.id])


def test_a_failing_alerts_hook_does_not_undo_the_switch(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    add_listings(session, actors.tto.organisation, 1)

    def broken(*, session: Session, outcome: ReindexOutcome) -> None:
        raise ValueError("alerts are down")

    result = run_job(settings, session_factory, after_switch=broken)

    assert snapshots.current_name(settings.index_dir) == result.snapshot
    assert _versions(session)[-1].status is IndexVersionStatus.READY


def test_tokens_of_unchanged_texts_come_from_the_live_snapshot(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    add_listings(session, actors.tto.organisation, 5)
    first = run_job(settings, session_factory)

    second = run_job(settings, session_factory, force=True)

    assert (second.changed, second.tokenised) == (True, 0)
    old = snapshots.read_documents(settings.index_dir, first.snapshot or "")
    new = snapshots.read_documents(settings.index_dir, second.snapshot or "")
    assert old is not None and new is not None
    assert new.tokens == old.tokens and new.same_content(old)
    assert np.array_equal(new.ids, old.ids)


def test_bm25_is_reused_with_changed_texts_in_its_delta_until_the_delta_grows_too_large(
    settings: Settings,
    session_factory: sessionmaker[Session],
    session: Session,
    actors: Actors,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = add_listings(session, actors.tto.organisation, 4)
    run_job(settings, session_factory)
    session.execute(
        update(Listing)
        .where(Listing.id == made[0].id)
        .values(title="一种石墨烯散热膜", version=Listing.version + 1, updated_at=utcnow())
    )
    session.commit()

    patched = run_job(settings, session_factory)

    manifest = snapshots.read_documents(settings.index_dir, patched.snapshot or "")
    assert manifest is not None and manifest.lexical_delta == 1
    live = snapshots.load_newest(settings.index_dir, model_id="hash-64", dimension=64)
    assert live is not None
    [(found, _score)] = live.lexical.search(["石墨", "散热"], 5)
    assert found == made[0].id and len(live.lexical) == 4

    monkeypatch.setattr(reindex_build, "LEXICAL_DELTA_MIN", 0)
    session.execute(
        update(Listing)
        .where(Listing.id == made[1].id)
        .values(title="一种碳纤维复合材料", version=Listing.version + 1, updated_at=utcnow())
    )
    session.commit()

    rebuilt = run_job(settings, session_factory)

    manifest = snapshots.read_documents(settings.index_dir, rebuilt.snapshot or "")
    assert manifest is not None and manifest.lexical_delta == 0
