"""`patentbridge reindex` and `scripts/reindex.py`: one summary line and exit codes for cron."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import get_settings
from app.core.db import create_db_engine, make_session_factory
from app.jobs import migrate
from app.models import AlertRun, OrganisationKind
from app.search.reindex import command as reindex_command
from app.search.reindex.command import EXIT_BUSY, EXIT_REFUSED
from app.search.reindex.lock import ReindexLock
from app.services import organisations
from tests.app.search.reindex.helpers import add_listings

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    values = {
        "DATABASE_URL": url,
        "INDEX_DIR": str(tmp_path / "index"),
        "EMBEDDING_MODEL": "hash-64",
        "LOG_LEVEL": "WARNING",
        "REINDEX_NICE": "0",  # in process: the test run itself must keep its priority
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    migrate.upgrade(url)
    engine = create_db_engine(url)
    with make_session_factory(engine)() as session:
        org = organisations.ensure(
            session=session, name="命令行大学", kind=OrganisationKind.UNIVERSITY
        )
        session.commit()
        add_listings(session, org, 3)
    engine.dispose()
    yield values
    get_settings.cache_clear()


def test_the_job_lowers_its_own_priority_so_that_queries_come_first(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []
    monkeypatch.setattr(reindex_command.os, "nice", asked.append)
    monkeypatch.setenv("REINDEX_NICE", "7")
    get_settings.cache_clear()

    assert CliRunner().invoke(cli, ["reindex"]).exit_code == 0
    assert asked == [7]


def test_reindex_prints_one_line_and_exits_0_then_finds_nothing_changed(
    env: dict[str, str],
) -> None:
    runner = CliRunner()

    first = runner.invoke(cli, ["reindex"])
    second = runner.invoke(cli, ["reindex"])

    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("reindex ok: version 1, new snapshot ")
    assert "3 listings (flat), 0 embedded, 0 expired, 3 tokenised" in first.stdout
    assert second.exit_code == 0, second.output
    assert second.stdout.startswith("reindex ok: version 2, nothing changed")


def test_reindex_exits_75_when_another_run_holds_the_lock(env: dict[str, str]) -> None:
    lock = ReindexLock(Path(env["INDEX_DIR"]), None)
    lock.acquire()
    try:
        result = CliRunner().invoke(cli, ["reindex"])
    finally:
        lock.release()

    assert result.exit_code == EXIT_BUSY == 75
    assert result.stderr.startswith("reindex busy: another re-index is running on this machine")


def test_rollback_goes_back_and_a_bad_target_exits_2(env: dict[str, str]) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["reindex"]).exit_code == 0
    assert runner.invoke(cli, ["reindex", "--force"]).exit_code == 0

    back = runner.invoke(cli, ["reindex", "--rollback"])
    missing = runner.invoke(cli, ["reindex", "--rollback", "99"])
    stray = runner.invoke(cli, ["reindex", "7"])

    assert back.exit_code == 0, back.output
    assert back.stdout.startswith("reindex rollback ok: version 3, snapshot ")
    assert "(version 1)" in back.stdout
    assert (missing.exit_code, missing.stderr.strip()) == (
        EXIT_REFUSED,
        "reindex refused: index version 99 does not exist",
    )
    assert stray.exit_code == EXIT_REFUSED


def test_the_cron_script_runs_the_same_job(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "reindex.py")],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1
    assert done.stdout.startswith("reindex ok: version 1, new snapshot ")


def test_reindex_records_alerts_against_the_new_snapshot(env: dict[str, str]) -> None:
    assert CliRunner().invoke(cli, ["reindex"]).exit_code == 0

    engine = create_db_engine(env["DATABASE_URL"])
    try:
        with make_session_factory(engine)() as session:
            runs = session.scalars(select(AlertRun)).all()
    finally:
        engine.dispose()
    assert len(runs) == 1
