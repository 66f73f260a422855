"""The load job: loopback only, bounded, and it finds every acknowledged write (or says not)."""

from __future__ import annotations

import csv
import io
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.validation.patent_number import normalize_patent_number
from tests.processes.server import Server, fresh_database
from tools.load.run import (
    LoadConfig,
    LoadError,
    find_missing,
    provision,
    require_loopback,
    run_load,
)
from tools.load.work import Ledger, Workload


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000", "http://127.8.9.10:1", "http://localhost:8000", "http://[::1]:80"],
)
def test_loopback_targets_are_accepted(url: str) -> None:
    require_loopback(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5:8000",
        "http://192.168.1.2",
        "http://example.com",
        "http://127.0.0.1.example.com",
        "http://[::ffff:8.8.8.8]",
        "http://0.0.0.0:8000",
        "not a url",
    ],
)
def test_any_other_target_is_refused(url: str) -> None:
    with pytest.raises(LoadError):
        require_loopback(url)


@pytest.mark.parametrize(
    "change",
    [{"clients": 0}, {"clients": 1000}, {"seconds": 0}, {"seconds": 99_999}, {"max_requests": 0}],
)
def test_a_run_must_be_bounded(change: dict[str, float]) -> None:
    config = LoadConfig(base_url="http://127.0.0.1:1", tto_keys=("t",), sme_keys=("s",))
    with pytest.raises(LoadError):
        LoadConfig(**{**config.__dict__, **change}).check()


def test_files_share_rows_exactly_and_carry_valid_new_numbers() -> None:
    work = Workload(run_block=7, rows_per_import=20)
    rng = random.Random(1)
    files = [work.import_file(client, seq, rng) for client in range(3) for seq in range(3)]
    rows: dict[str, list[str]] = {}
    for content, numbers in files:
        [header, *lines] = list(csv.reader(io.StringIO(content.decode())))
        assert header[0] == "专利号" and [line[0] for line in lines] == numbers
        for line in lines:
            assert normalize_patent_number(line[0]) == line[0]
            assert rows.setdefault(line[0], line) == line  # a shared number: the same row
    own = [n for _, numbers in files for n in numbers[:15]]
    assert len(own) == len(set(own))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    tmp = tmp_path_factory.mktemp("load")
    url = f"sqlite:///{tmp / 'load.db'}"
    fresh_database(url).dispose()
    running = Server(url=url, index_dir=tmp / "index", workers=1).start()
    try:
        yield running, url
    finally:
        running.stop()


def test_a_short_mixed_run_has_no_error_and_loses_no_acknowledged_write(
    server: tuple[Server, str],
) -> None:
    running, url = server
    tto, sme = provision(url, 4, label="test")
    config = LoadConfig(
        base_url=running.base, tto_keys=tuple(tto), sme_keys=tuple(sme), clients=4, seconds=6
    )

    report = run_load(config)

    assert report.ok, report.to_text()
    names = {op.name for op in report.operations}
    assert {"import", "create_demand", "matches", "list"} <= names
    assert report.acknowledged_listings > 0 and report.acknowledged_demands >= 4
    assert report.created_by_imports == report.acknowledged_listings
    assert "| matches |" in report.to_text()


def test_the_queries_mix_writes_nothing_but_its_demands(server: tuple[Server, str]) -> None:
    running, url = server
    _, sme = provision(url, 2, label="queries")
    config = LoadConfig(
        base_url=running.base, tto_keys=(), sme_keys=tuple(sme), clients=2, seconds=3, mix="queries"
    )

    report = run_load(config)

    assert report.ok, report.to_text()
    assert {op.name for op in report.operations} <= {"create_demand", "matches", "search", "list"}
    assert report.acknowledged_listings == 0


def test_the_check_reports_writes_that_are_not_there(server: tuple[Server, str]) -> None:
    running, url = server
    tto, sme = provision(url, 1, label="missing")
    config = LoadConfig(base_url=running.base, tto_keys=tuple(tto), sme_keys=tuple(sme))
    ledger = Ledger(listing_numbers={"201910000001.9"}, demand_ids={sme[0]: {987_654}})

    assert find_missing(config, ledger) == (["201910000001.9"], [987_654])


def test_the_script_refuses_a_remote_target_before_creating_keys(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, str(root / "scripts" / "load.py"), "--url", "http://10.1.2.3:8000"]
        + ["--database-url", f"sqlite:///{tmp_path / 'never.db'}", "--seconds", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "not a loopback address" in result.stderr
    assert not (tmp_path / "never.db").exists()
