"""Crash safety: `kill -9` of the re-index at any stage leaves the live index serving, the
database intact, and the next run completes (issue 5).

The job runs in a subprocess (`reindex_child`) that hangs at a named stage; the test kills it
there with SIGKILL, checks what is left, then runs the job again in this process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.db import create_db_engine, make_session_factory, session_scope
from app.jobs import migrate
from app.models import (
    IndexVersion,
    IndexVersionStatus,
    Listing,
    ListingEmbedding,
    OrganisationKind,
)
from app.search import snapshots, sync
from app.search import versions as index_versions
from app.search.catalogue import Catalogue
from app.search.reindex.lock import ReindexBusy
from app.services import organisations
from matching.embedder import HashingEmbedder
from tests.app.search.reindex.helpers import TOKENIZER, add_listing, add_listings, run_job

ROOT = Path(__file__).resolve().parents[2]
FIRST = 6  # listings in the first snapshot, with vectors
LATER = 5  # listings added afterwards without vectors: the killed run must embed them


@dataclass(frozen=True)
class World:
    settings: Settings
    factory: sessionmaker[Session]
    first_snapshot: str


@pytest.fixture()
def world(tmp_path: Path) -> Iterator[World]:
    url = os.environ.get("TEST_PROCESS_DATABASE_URL") or f"sqlite:///{tmp_path / 'crash.db'}"
    engine = create_db_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(url)
    factory = make_session_factory(engine)
    settings = Settings(
        database_url=url,
        index_dir=tmp_path / "index",
        embedding_model="hash-64",
        reindex_batch=2,
        catchup_seconds=0,
    )
    with factory() as session:
        org = organisations.ensure(
            session=session, name="崩溃测试大学", kind=OrganisationKind.UNIVERSITY
        )
        session.commit()
        add_listings(session, org, FIRST)
    first = run_job(settings, factory)
    with factory() as session:
        for i in range(LATER):
            add_listing(session, org, embedder=None, title=f"一种未嵌入的传感器标定方法{i}")
    yield World(settings, factory, first.snapshot or "")
    engine.dispose()


def _kill_at(world: World, stage: str, tmp_path: Path) -> None:
    marker = tmp_path / "reached"
    env = os.environ | {
        "DATABASE_URL": world.settings.database_url,
        "INDEX_DIR": str(world.settings.index_dir),
        "EMBEDDING_MODEL": "hash-64",
        "REINDEX_BATCH": "2",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.processes.reindex_child", stage, str(marker)],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 90
    while not marker.exists():
        if child.poll() is not None:
            raise AssertionError(f"child exited early: {child.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            child.kill()
            raise AssertionError(f"child never reached stage {stage}")
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def _counts(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as session:
        listings = session.scalar(select(func.count()).select_from(Listing)) or 0
        vectors = session.scalar(select(func.count()).select_from(ListingEmbedding)) or 0
    return listings, vectors


def _serving(world: World) -> int:
    """Load a catalogue as an API process would (without embedding); return its size."""
    catalogue = Catalogue(model_id="hash-64", dimension=64)
    with session_scope(world.factory) as session:
        report = sync.load(
            session=session,
            catalogue=catalogue,
            embedder=HashingEmbedder(64),
            tokenizer=TOKENIZER,
            index_dir=world.settings.index_dir,
            embed_limit=0,
        )
    assert report.snapshot == snapshots.current_name(world.settings.index_dir)
    return len(catalogue)


def _run_again(world: World) -> None:
    # After SIGKILL PostgreSQL drops the dead session's advisory lock once it notices the
    # closed connection, which can take a moment.
    for _ in range(50):
        try:
            run_job(world.settings, world.factory)
            return
        except ReindexBusy:
            time.sleep(0.2)
    raise AssertionError("the lock of the killed run was never released")


@pytest.mark.parametrize(
    ("stage", "live_after_kill", "vectors_after_kill"),
    [
        ("embedded-batch", "first", FIRST + 2),  # mid-embedding: one batch of 2 committed
        ("building", "first", FIRST + LATER),  # everything embedded, nothing built yet
        ("writing", "first", FIRST + LATER),  # snapshot files half-way, not renamed
        ("staged", "first", FIRST + LATER),  # new snapshot complete, CURRENT not yet moved
        ("switched", "new", FIRST + LATER),  # CURRENT moved, the run not yet recorded
    ],
)
def test_kill_9_at_any_stage_leaves_the_index_serving_and_the_next_run_completes(
    world: World, tmp_path: Path, stage: str, live_after_kill: str, vectors_after_kill: int
) -> None:
    index_dir = world.settings.index_dir

    _kill_at(world, stage, tmp_path)

    live = snapshots.current_name(index_dir)
    assert (live == world.first_snapshot) == (live_after_kill == "first")
    # Served: every active listing with a vector (the snapshot, then catch-up from the database).
    assert _serving(world) == vectors_after_kill
    assert _counts(world.factory) == (FIRST + LATER, vectors_after_kill)
    partial = [p.name for p in (index_dir / snapshots.SNAPSHOTS_DIR).iterdir()]
    assert any(name.endswith(".partial") for name in partial) == (stage == "writing")

    _run_again(world)

    assert _counts(world.factory) == (FIRST + LATER, FIRST + LATER)
    assert not any(p.name.startswith(".") for p in (index_dir / snapshots.SNAPSHOTS_DIR).iterdir())
    assert _serving(world) == FIRST + LATER
    with session_scope(world.factory) as session:
        rows = list(session.scalars(select(IndexVersion).order_by(IndexVersion.id)))
    assert [r.status for r in rows] == [
        IndexVersionStatus.READY,
        IndexVersionStatus.FAILED,
        IndexVersionStatus.READY,
    ]
    assert rows[1].error == index_versions.INTERRUPTED
