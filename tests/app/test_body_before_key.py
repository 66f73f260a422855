"""Admission: a stranger's body is never read, and each route gets its own body limit.

A request to a keyed route is refused (401) before anything reads its body; a request with a
valid key is held to the limit of the route it matched (the upload limit only for the import
route, the JSON limit for every other), whether the body declares its length or not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.main import create_app
from app.services import keys
from matching.embedder import HashingEmbedder
from tests.app.import_files import error_problem, to_csv, valid_row
from tests.factories import Actors

MB = 1024 * 1024
JSON_LIMIT_MESSAGE = "request body is larger than the limit of 256 KB"
UNKNOWN_KEY = "pb_000000000000_" + "0" * 48


def call_recording_reads(
    app: FastAPI, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes
) -> tuple[int, bytes, int]:
    """Return status, body and how many times the app asked for the request body."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"accept-language", b"en"),
            *headers,
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    reads = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, content, reads


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/v1/demands/import"),
        ("POST", "/v1/listings/import"),
        ("POST", "/v1/demands"),
        ("GET", "/metrics"),
    ],
)
@pytest.mark.parametrize("key", [None, "not-a-key", UNKNOWN_KEY])
def test_a_request_without_a_valid_key_is_refused_before_its_body_is_read(
    client: TestClient, method: str, path: str, key: str | None
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    headers = [] if key is None else [(b"x-api-key", key.encode())]

    status, content, reads = call_recording_reads(app, method, path, headers, b"[" * (2 * MB))

    assert (status, reads) == (401, 0), content[:300]
    assert b'"loc":["header","X-API-Key"]' in content


def test_a_revoked_key_is_refused_before_its_body_is_read(
    client: TestClient, actors: Actors, session: Session
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    keys.revoke(session=session, prefix=actors.sme.key.split("_")[1])
    session.commit()
    headers = [(b"x-api-key", actors.sme.key.encode())]

    status, content, reads = call_recording_reads(app, "POST", "/v1/demands", headers, b"{" * MB)

    assert (status, reads) == (401, 0), content[:300]


def test_patch_demands_import_with_1_mb_and_no_key_is_401_and_the_body_is_never_consumed(
    client: TestClient,
) -> None:
    consumed: list[int] = []

    def body() -> Iterator[bytes]:
        consumed.append(1)
        yield b"[" + b"1," * (MB // 2) + b"1]"

    response = client.patch(
        "/v1/demands/import", content=body(), headers={"Content-Type": "application/json"}
    )

    problem = error_problem(response, 401)
    assert problem == {
        "msg": "missing X-API-Key header",
        "type": "unauthenticated",
        "loc": ["header", "X-API-Key"],
    }
    assert consumed == []


def test_a_valid_key_on_another_route_ending_in_import_gets_the_json_limit(
    client: TestClient, actors: Actors
) -> None:
    response = client.patch(
        "/v1/demands/import",
        content=b"[" + b"1," * (150 * 1024) + b"1]",
        headers=actors.sme.headers | {"Content-Type": "application/json"},
    )

    assert error_problem(response, 413) == {
        "msg": JSON_LIMIT_MESSAGE,
        "type": "too_large",
        "loc": ["body"],
    }


def test_a_valid_key_on_a_json_route_gets_the_json_limit(
    client: TestClient, actors: Actors
) -> None:
    body = {"title": "轴承监测", "description": "需" * (300 * 1024)}

    response = client.post("/v1/demands", json=body, headers=actors.sme.headers)

    assert error_problem(response, 413)["msg"] == JSON_LIMIT_MESSAGE


def test_a_chunked_body_over_the_limit_is_413_in_the_api_shape(
    client: TestClient, actors: Actors
) -> None:
    def chunks() -> Iterator[bytes]:
        yield '{"title": "轴承监测", "description": "'.encode()
        yield b"x" * (300 * 1024)
        yield b'"}'

    response = client.post(
        "/v1/demands",
        content=chunks(),
        headers=actors.sme.headers | {"Content-Type": "application/json"},
    )

    assert "content-length" not in response.request.headers
    assert error_problem(response, 413) == {
        "msg": JSON_LIMIT_MESSAGE,
        "type": "too_large",
        "loc": ["body"],
    }


def test_a_chunked_upload_over_the_upload_limit_is_413(
    small_upload_client: TestClient, actors: Actors
) -> None:
    content = to_csv([valid_row(i) for i in range(2)]) + b"#" * (MB + 100 * 1024)
    boundary = b"pb-boundary"

    def chunks() -> Iterator[bytes]:
        yield b"--" + boundary + b"\r\n"
        yield b'Content-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        yield content
        yield b"\r\n--" + boundary + b"--\r\n"

    response = small_upload_client.post(
        "/v1/listings/import",
        content=chunks(),
        headers=actors.tto.headers
        | {"Content-Type": f"multipart/form-data; boundary={boundary.decode()}"},
    )

    assert error_problem(response, 413)["msg"] == (
        "request body is larger than the limit of 1088 KB"
    )


@pytest.fixture()
def small_upload_client(
    settings: Settings, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    app = create_app(
        settings.model_copy(update={"max_upload_mb": 1}),
        session_factory=session_factory,
        embedder=HashingEmbedder(64),
    )
    with TestClient(
        app, raise_server_exceptions=False, headers={"Accept-Language": "en"}
    ) as test_client:
        yield test_client


def test_a_tto_key_on_the_import_route_gets_the_upload_limit(
    small_upload_client: TestClient, actors: Actors
) -> None:
    # Over the 256 KB JSON limit, under the 1 MB upload limit: read and imported.
    rows = [valid_row(i) | {"abstract": "轴承" * 2000} for i in range(30)]
    content = to_csv(rows)
    assert 256 * 1024 < len(content) < MB

    response = small_upload_client.post(
        "/v1/listings/import", files={"file": ("清单.csv", content)}, headers=actors.tto.headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["created"] == 30


def test_a_tto_key_on_the_import_route_is_refused_over_the_upload_limit(
    small_upload_client: TestClient, actors: Actors
) -> None:
    content = b"x" * (MB + 100 * 1024)

    response = small_upload_client.post(
        "/v1/listings/import", files={"file": ("清单.csv", content)}, headers=actors.tto.headers
    )

    assert error_problem(response, 413)["msg"] == (
        "request body is larger than the limit of 1088 KB"
    )


def test_a_valid_key_is_checked_once_per_request(
    client: TestClient, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str | None] = []
    real = keys.authenticate

    def counted(**kwargs: Any) -> Any:
        calls.append(kwargs["presented"])
        return real(**kwargs)

    monkeypatch.setattr(keys, "authenticate", counted)

    response = client.post(
        "/v1/demands",
        json={"title": "轴承监测", "description": "需要轴承振动在线监测技术。"},
        headers=actors.sme.headers,
    )

    assert response.status_code == 201, response.text
    assert calls == [actors.sme.key]
