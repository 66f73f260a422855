"""Several API processes on one database converge without a broker (design rule 5).

Starts the real server with two uvicorn workers on loopback; each new connection may land on
either worker. A write through one worker must be visible through every connection within a
few seconds, and a withdrawal must disappear from all of them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from app.core.db import create_db_engine, make_session_factory, session_scope
from app.jobs import migrate
from app.models import OrganisationKind, Role
from app.services import keys, organisations
from tests.factories import listing_payload

CATCH_UP_SECONDS = 0.5
DEADLINE_SECONDS = 15.0
CONNECTIONS = 24


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    url = os.environ.get("TEST_PROCESS_DATABASE_URL") or f"sqlite:///{tmp_path / 'two.db'}"
    engine = create_db_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(url)
    with session_scope(make_session_factory(engine)) as session:
        tto_org = organisations.ensure(
            session=session, name="双进程大学", kind=OrganisationKind.UNIVERSITY
        )
        sme_org = organisations.ensure(
            session=session, name="双进程科技有限公司", kind=OrganisationKind.ENTERPRISE
        )
        tto = keys.create(session=session, organisation=tto_org, role=Role.TTO).plaintext
        sme = keys.create(session=session, organisation=sme_org, role=Role.SME).plaintext
    engine.dispose()
    port = _free_port()
    env = os.environ | {
        "DATABASE_URL": url,
        "INDEX_DIR": str(tmp_path / "index"),
        "EMBEDDING_MODEL": "hash-64",
        "CATCHUP_SECONDS": str(CATCH_UP_SECONDS),
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "patentbridge"), "serve", "--port", str(port)]
        + ["--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base, tto, sme
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    ready = 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            # Both workers must be up: several fresh connections in a row must succeed.
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                ready += 1
                if ready >= 6:
                    return
        except httpx.HTTPError:
            ready = 0
        time.sleep(0.2)
    raise RuntimeError("server did not become ready")


def _seen_by_every_connection(base: str, sme: str, title: str) -> list[bool]:
    seen = []
    for _ in range(CONNECTIONS):
        # A new client per request means a new connection, which either worker may accept.
        response = httpx.post(
            base + "/v1/search",
            json={"text": title, "limit": 5},
            headers={"X-API-Key": sme},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        seen.append(any(item["listing"]["title"] == title for item in response.json()["items"]))
    return seen


def _eventually(check: Callable[[], list[bool]], want: bool) -> float:
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE_SECONDS:
        results = check()
        if all(r is want for r in results):
            return time.monotonic() - started
        time.sleep(0.3)
    raise AssertionError(f"not every connection converged to {want} in {DEADLINE_SECONDS}s")


def test_a_write_through_one_worker_reaches_every_worker_and_so_does_a_withdrawal(
    server: tuple[str, str, str],
) -> None:
    base, tto, sme = server
    title = "一种基于声发射的风电齿轮箱早期裂纹监测方法"
    body = listing_payload(
        title=title,
        abstract="本发明公开了一种基于声发射信号的风电齿轮箱早期裂纹在线监测方法，"
        "采集齿轮箱壳体声发射信号，提取裂纹特征参量并实时报警。",
    )
    created = httpx.post(base + "/v1/listings", json=body, headers={"X-API-Key": tto}, timeout=10)
    assert created.status_code == 201, created.text

    _eventually(lambda: _seen_by_every_connection(base, sme, title), True)

    listing_id = created.json()["id"]
    withdrawn = httpx.delete(
        f"{base}/v1/listings/{listing_id}", headers={"X-API-Key": tto}, timeout=10
    )
    assert withdrawn.status_code == 200

    _eventually(lambda: _seen_by_every_connection(base, sme, title), False)
