"""Many clients at once against a real two-worker server: imports, edits and queries.

On PostgreSQL this is the real test of the upsert race (two imports creating one patent),
optimistic locking (no lost update) and exact counts. SQLite has one writer at a time, so
there the same load proves only that concurrent writers wait (busy timeout) or are re-run,
never fail with a 500; the assertions are the same and hold on both.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.core.db import make_session_factory
from app.models import Listing, ListingEmbedding, Role
from tests.app.import_files import to_csv, valid_row
from tests.factories import listing_payload
from tests.processes.server import Server, database_url, fresh_database, issue_keys

THREADS = 6


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Any]]:
    tmp = tmp_path_factory.mktemp("concurrency")
    url = database_url(tmp, "concurrency.db")
    engine = fresh_database(url)
    running = Server(url=url, index_dir=tmp / "index", workers=2).start()
    try:
        yield running, engine
    finally:
        running.stop()
        engine.dispose()


def _run(workers: list[Callable[[], Any]]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        return [future.result() for future in [pool.submit(w) for w in workers]]


def test_overlapping_imports_while_others_query_count_every_patent_exactly_once(
    server: tuple[Server, Any],
) -> None:
    running, engine = server
    tto_keys = issue_keys(engine, "并发导入大学", Role.TTO, THREADS)
    [sme] = issue_keys(engine, "并发查询科技有限公司", Role.SME, 1)
    pool = [valid_row(1000 + i) for i in range(60)]
    reports: list[dict[str, Any]] = []

    def importer(key: str, seed: int) -> None:
        chooser = random.Random(seed)
        with httpx.Client(base_url=running.base, headers={"X-API-Key": key}, timeout=60) as http:
            for _ in range(3):
                rows = chooser.sample(pool, 20)
                response = http.post(
                    "/v1/listings/import", files={"file": ("并发.csv", to_csv(rows))}
                )
                assert response.status_code in (200, 409), response.text
                if response.status_code == 200:
                    report = response.json()
                    reports.append(report | {"numbers": [r["patent_number"] for r in rows]})

    def querier() -> None:
        with httpx.Client(base_url=running.base, headers={"X-API-Key": sme}, timeout=60) as http:
            for _ in range(15):
                assert http.get("/v1/listings", params={"limit": 50}).status_code == 200
                found = http.post("/v1/search", json={"text": "轴承故障诊断", "limit": 10})
                assert found.status_code == 200, found.text

    _run([lambda k=k, i=i: importer(k, i) for i, k in enumerate(tto_keys)] + [querier] * 2)

    acknowledged = {n for report in reports for n in report["numbers"]}
    with make_session_factory(engine)() as session:
        stored = session.scalar(
            select(func.count()).where(
                Listing.patent_number.in_([r["patent_number"] for r in pool])
            )
        )
        embedded = session.scalar(
            select(func.count())
            .select_from(ListingEmbedding)
            .join(Listing, Listing.id == ListingEmbedding.listing_id)
            .where(Listing.patent_number.in_([r["patent_number"] for r in pool]))
        )
    assert len(reports) >= THREADS  # most imports went through, whatever raced
    assert sum(r["created"] for r in reports) == len(acknowledged) == stored == embedded
    for report in reports:
        assert report["rejected"] == []
        assert report["created"] + report["updated"] + report["unchanged"] == 20


def test_concurrent_edits_with_if_match_lose_no_update(server: tuple[Server, Any]) -> None:
    running, engine = server
    [owner, *editors] = issue_keys(engine, "并发编辑大学", Role.TTO, 5)
    created = httpx.post(
        running.base + "/v1/listings",
        json=listing_payload(contact="count=0"),
        headers={"X-API-Key": owner},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    path = f"/v1/listings/{created.json()['id']}"
    rounds = 6

    def editor(key: str) -> int:
        conflicts = 0
        with httpx.Client(base_url=running.base, headers={"X-API-Key": key}, timeout=60) as http:
            done = 0
            while done < rounds:
                current = http.get(path)
                count = int(current.json()["contact"].removeprefix("count="))
                response = http.patch(
                    path,
                    json={"contact": f"count={count + 1}"},
                    headers={"If-Match": current.headers["ETag"]},
                )
                assert response.status_code in (200, 409), response.text
                if response.status_code == 200:
                    done += 1
                else:
                    conflicts += 1
        return conflicts

    conflicts = _run([lambda k=k: editor(k) for k in editors])

    final = httpx.get(running.base + path, headers={"X-API-Key": owner}, timeout=30).json()
    assert final["contact"] == f"count={len(editors) * rounds}"
    assert final["version"] == 1 + len(editors) * rounds
    assert sum(conflicts) >= 0  # how often they collided depends on timing, not on correctness


def test_edits_without_if_match_are_each_applied_once_and_never_fail(
    server: tuple[Server, Any],
) -> None:
    running, engine = server
    [owner, *editors] = issue_keys(engine, "无条件编辑大学", Role.TTO, 5)
    created = httpx.post(
        running.base + "/v1/listings",
        json=listing_payload(),
        headers={"X-API-Key": owner},
        timeout=30,
    )
    path = f"/v1/listings/{created.json()['id']}"

    def editor(key: str, index: int) -> list[int]:
        with httpx.Client(base_url=running.base, headers={"X-API-Key": key}, timeout=60) as http:
            return [
                http.patch(path, json={"contact": f"编辑者{index}-{n}"}).status_code
                for n in range(6)
            ]

    statuses = [
        s
        for batch in _run([lambda k=k, i=i: editor(k, i) for i, k in enumerate(editors)])
        for s in batch
    ]

    final = httpx.get(running.base + path, headers={"X-API-Key": owner}, timeout=30).json()
    assert set(statuses) <= {200, 409}
    assert final["version"] == 1 + statuses.count(200)


def test_the_same_new_patent_posted_at_once_is_created_once(server: tuple[Server, Any]) -> None:
    running, engine = server
    tto_keys = issue_keys(engine, "并发发布大学", Role.TTO, THREADS)
    body = listing_payload()

    def poster(key: str) -> int:
        response = httpx.post(
            running.base + "/v1/listings", json=body, headers={"X-API-Key": key}, timeout=60
        )
        return response.status_code

    statuses = _run([lambda k=k: poster(k) for k in tto_keys])

    assert sorted(statuses) == [201] + [409] * (THREADS - 1)
    with make_session_factory(engine)() as session:
        assert (
            session.scalar(
                select(func.count()).where(Listing.patent_number == body["patent_number"])
            )
            == 1
        )


_RAW = [
    b"GET //v1/listings HTTP/1.1\r\nHost: evil.example\r\n\r\n",
    b"GET /v1%2Flistings HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"GET http://evil.example/v1/listings HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"GET /v1/listings HTTP/1.1\r\nHost: 127.0.0.1:1@evil.example\r\n\r\n",
    b"GET /v1/listings HTTP/1.1\r\nHost: \r\n\r\n",
    b"GET /v1/listings HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET /v1/listings HTTP/1.0\r\n\r\n",
    b"GET /healthz/../v1/listings HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"GET /v1/listings/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"HEAD /v1/listings HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"GET /v1/listings HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Original-URL: /healthz\r\n\r\n",
    b"GET /v1/listings HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key:\r\n\r\n",
]


@pytest.mark.parametrize("request_bytes", _RAW, ids=[r.split(b"\r\n")[0].decode() for r in _RAW])
def test_malformed_http_never_reaches_a_route_without_a_key(
    server: tuple[Server, Any], request_bytes: bytes
) -> None:
    running, _ = server
    with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
        sock.sendall(request_bytes)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0]
    # 400 from the HTTP parser, 401 from the key check, 404/405/307 from routing; never 2xx.
    assert status_line.split(b" ")[1] in {b"400", b"401", b"404", b"405", b"307"}, answer[:300]


def test_no_request_of_this_module_ended_in_an_unhandled_error(
    server: tuple[Server, Any],
) -> None:
    running, _ = server
    assert running.unhandled_errors() == []
