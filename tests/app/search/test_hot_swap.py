"""A running API process follows CURRENT: new snapshots and rollbacks swap in without a restart."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.search.engine import SearchEngine
from app.search.filters import ListingFilters
from app.search.reindex.rollback import rollback
from matching.embedder import HashingEmbedder
from tests.app.search.reindex.helpers import TOKENIZER, add_listing, add_listings, run_job
from tests.factories import Actors

QUERY = "轴承故障诊断方法"


def _engine(client: TestClient) -> SearchEngine:
    engine: SearchEngine = client.app.state.engine  # type: ignore[attr-defined]
    return engine


def _ranked_ids(engine: SearchEngine) -> list[int]:
    vector = HashingEmbedder(64).embed_queries([QUERY])[0]
    ranked = engine.catalogue.rank(
        vector, TOKENIZER.tokens(QUERY), filters=ListingFilters(), depth=10
    )
    return [c.id for c in ranked.candidates]


def test_a_new_snapshot_is_swapped_in_and_rows_written_after_its_watermark_are_caught_up(
    client: TestClient,
    settings: Settings,
    session_factory: sessionmaker[Session],
    session: Session,
    actors: Actors,
) -> None:
    engine = _engine(client)
    made = add_listings(session, actors.tto.organisation, 4)
    result = run_job(settings, session_factory)
    late = add_listing(session, actors.tto.organisation, embedder=HashingEmbedder(64))

    assert engine.follow_snapshot() is True

    assert (engine.snapshot, engine.swaps) == (result.snapshot, 1)
    assert engine.catalogue.source == f"snapshot {result.snapshot}"
    assert sorted(engine.catalogue.facts_of(m.id) is not None for m in [*made, late]) == [True] * 5
    assert engine.follow_snapshot() is False  # nothing new: no reload


def test_searches_running_during_repeated_swaps_never_fail_or_come_back_empty(
    client: TestClient,
    settings: Settings,
    session_factory: sessionmaker[Session],
    session: Session,
    actors: Actors,
) -> None:
    engine = _engine(client)
    add_listings(session, actors.tto.organisation, 8)
    run_job(settings, session_factory)
    engine.follow_snapshot()
    stop = threading.Event()
    pages: list[int] = []
    errors: list[BaseException] = []

    def search() -> None:
        while not stop.is_set():
            try:
                pages.append(len(_ranked_ids(engine)))
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

    searcher = threading.Thread(target=search)
    searcher.start()
    try:
        for _ in range(4):
            run_job(settings, session_factory, force=True)
            assert engine.follow_snapshot() is True
    finally:
        stop.set()
        searcher.join()

    assert errors == []
    assert len(pages) > 10 and set(pages) == {8}
    assert engine.swaps == 5


def test_a_snapshot_of_another_model_is_refused_once_and_the_old_catalogue_keeps_serving(
    client: TestClient,
    settings: Settings,
    session_factory: sessionmaker[Session],
    session: Session,
    actors: Actors,
) -> None:
    engine = _engine(client)
    add_listings(session, actors.tto.organisation, 3)
    first = run_job(settings, session_factory)
    engine.follow_snapshot()
    run_job(settings, session_factory, embedder=HashingEmbedder(32))

    assert engine.follow_snapshot() is False
    assert engine.follow_snapshot() is False

    assert engine.snapshot == first.snapshot
    assert len(_ranked_ids(engine)) == 3


def test_a_rollback_is_followed_like_a_new_snapshot(
    client: TestClient,
    settings: Settings,
    session_factory: sessionmaker[Session],
    session: Session,
    actors: Actors,
) -> None:
    engine = _engine(client)
    add_listings(session, actors.tto.organisation, 2)
    first = run_job(settings, session_factory)
    added = add_listings(session, actors.tto.organisation, 1)
    run_job(settings, session_factory)
    engine.follow_snapshot()

    rollback(settings=settings, factory=session_factory, embedder=HashingEmbedder(64))

    assert engine.follow_snapshot() is True
    assert engine.snapshot == first.snapshot
    # The older snapshot lacks the newest listing; catch-up from its watermark restores it.
    assert engine.catalogue.facts_of(added[0].id) is not None
    assert len(engine.catalogue) == 3


def test_a_damaged_snapshot_is_refused_without_rebuilding_from_the_database(
    client: TestClient,
    settings: Settings,
    session_factory: sessionmaker[Session],
    session: Session,
    actors: Actors,
) -> None:
    engine = _engine(client)
    add_listings(session, actors.tto.organisation, 3)
    first = run_job(settings, session_factory)
    engine.follow_snapshot()
    second = run_job(settings, session_factory, force=True)
    faiss_file = settings.index_dir / "snapshots" / (second.snapshot or "") / "vectors"
    (faiss_file / "vectors.faiss").write_bytes(b"not a faiss file")

    assert engine.follow_snapshot() is False

    assert engine.snapshot == first.snapshot
    assert engine.catalogue.source == f"snapshot {first.snapshot}"
    assert len(_ranked_ids(engine)) == 3
