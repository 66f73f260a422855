"""Default-deny: no spelling of a path, host or method reaches data without a valid key.

Requests go straight to the ASGI application with a hand-built scope, as uvicorn builds it
(`path` percent-decoded from `raw_path`), so that no HTTP client tidies the path first.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services import keys
from tests.factories import Actors, listing_payload


def raw_call(
    app: FastAPI, method: str, raw_path: bytes, headers: list[tuple[bytes, bytes]]
) -> tuple[int, bytes]:
    """Return the status and body of one request given to the app exactly as written."""
    path, _, query = raw_path.partition(b"?")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(path.decode("latin-1")),
        "raw_path": path,
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


_PATHS = [
    b"/v1/listings",
    b"//v1/listings",
    b"/v1//listings",
    b"/v1/listings/",
    b"/v1%2Flistings",
    b"/v1%2flistings%2f{id}",
    b"/%761/listings",
    b"/v1/listings/{id}",
    b"/v1/listings/{id}/",
    b"/v1/listings/./{id}",
    b"/v1/listings/../listings/{id}",
    b"/healthz/../v1/listings",
    b"/healthz%2F..%2Fv1%2Flistings",
    b"/V1/LISTINGS",
    b"/v1/listings;jsessionid=1",
    b"/v1/listings%00",
    b"/v1/listings%20",
    b"/v1/listings/{id}%23",
    b"/v1/listings?status=any",
    b"/v1/listings/export",
    b"/v1/audit",
    b"/v1/audit/",
    b"/v1/demands/{demand}",
    b"/v1/demands/{demand}/matches",
    b"http://evil.example/v1/listings",
    b"*",
    b"",
]
_HOSTS = [b"testserver", b"evil.example", b"localhost:8000@evil.example", b"", b"a" * 4096]
_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "TRACE"]
_SPOOF = [
    (b"x-forwarded-for", b"127.0.0.1"),
    (b"x-original-url", b"/healthz"),
    (b"x-rewrite-url", b"/healthz"),
    (b"x-http-method-override", b"GET"),
    (b"x-forwarded-host", b"localhost"),
]


@pytest.fixture()
def ids(client: TestClient, actors: Actors) -> dict[str, bytes]:
    listing = client.post("/v1/listings", json=listing_payload(), headers=actors.tto.headers)
    demand = client.post(
        "/v1/demands",
        json={"title": "保密需求", "description": "只有本企业能看到的需求。"},
        headers=actors.sme.headers,
    )
    return {
        "id": str(listing.json()["id"]).encode(),
        "demand": str(demand.json()["id"]).encode(),
        "number": listing.json()["patent_number"].encode(),
    }


def test_no_path_host_method_or_spoofed_header_reaches_data_without_a_key(
    client: TestClient, ids: dict[str, bytes]
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    seen: set[int] = set()
    for raw in _PATHS:
        path = raw.replace(b"{id}", ids["id"]).replace(b"{demand}", ids["demand"])
        for host in _HOSTS:
            for method in _METHODS:
                headers = [(b"host", host), *_SPOOF]
                status, body = raw_call(app, method, path, headers)
                seen.add(status)
                where = (method, path, host[:40])
                # Refused (401), unknown (404) or wrong method (405): never a redirect,
                # never data, never a crash.
                assert status in {401, 404, 405}, (where, status, body[:200])
                assert ids["number"] not in body, where
                assert "保密需求".encode() not in body, where
    assert 401 in seen and 404 in seen


@pytest.mark.parametrize("path", [b"/v1/listings/", b"/v1/listings/{id}/", b"/healthz/"])
def test_a_trailing_slash_is_a_404_and_never_a_redirect_built_from_the_host(
    client: TestClient, ids: dict[str, bytes], path: bytes
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    headers = [(b"host", b"evil.example"), (b"accept-language", b"en")]
    status, body = raw_call(app, "GET", path.replace(b"{id}", ids["id"]), headers)

    assert status == 404
    assert json.loads(body) == {"detail": [{"msg": "not found", "type": "http_error", "loc": []}]}
    assert b"evil.example" not in body


def test_every_key_check_costs_the_same_hash_and_constant_time_compare(
    client: TestClient, actors: Actors, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(keys.hmac, "compare_digest", spy)
    prefix = actors.tto.key.split("_")[1]
    wrong_secret = f"pb_{prefix}_{'0' * 48}"
    unknown_prefix = "pb_000000000000_" + "0" * 48
    for presented in (actors.tto.key, wrong_secret, unknown_prefix):
        compared.clear()
        status = client.get("/v1/listings", headers={"X-API-Key": presented}).status_code
        # An unknown prefix still hashes and compares, so its timing does not tell it apart.
        assert len(compared) == 1, presented
        assert all(len(a) == len(b) == 64 for a, b in compared)
        assert status == (200 if presented == actors.tto.key else 401)


def test_a_revoked_key_is_refused_from_the_next_request_on(
    client: TestClient, actors: Actors, session: Session
) -> None:
    assert client.get("/v1/listings", headers=actors.tto.headers).status_code == 200
    keys.revoke(session=session, prefix=actors.tto.key.split("_")[1])
    session.commit()
    response = client.post("/v1/listings", json=listing_payload(), headers=actors.tto.headers)
    assert response.status_code == 401
    assert response.json()["detail"][0]["msg"] == "this API key has been revoked"
