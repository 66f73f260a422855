"""Request ids: taken from the caller when safe, generated otherwise, returned in the response
and carried by every log record emitted while the request is served; one access line each."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.logs import JsonFormatter, RequestIdFilter
from app.main import create_app
from matching.embedder import HashingEmbedder
from tests.factories import Actors

GENERATED = re.compile(r"[0-9a-f]{32}")


class Captured(logging.Handler):
    """Keep every record, through the same filter the service's handler has."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.addFilter(RequestIdFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture()
def captured() -> Iterator[Captured]:
    handler = Captured()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture()
def app_with_probe(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    app = create_app(settings, session_factory=session_factory, embedder=HashingEmbedder(64))

    @app.get("/v1/probe")
    def probe(fail: bool = False) -> dict[str, str]:
        logging.getLogger("tests.probe").warning("inside the route")
        if fail:
            raise RuntimeError("boom")
        return {"ok": "yes"}

    return app


def test_a_request_without_an_id_gets_a_generated_one(client: TestClient) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]

    assert GENERATED.fullmatch(first)
    assert GENERATED.fullmatch(second)
    assert first != second


@pytest.mark.parametrize("given", ["abc-123", "0f8e.trace:span_1", "A" * 64])
def test_a_safe_id_from_the_caller_is_kept(client: TestClient, given: str) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given


@pytest.mark.parametrize(
    "given", ["A" * 65, "has space", "semi;colon", "-leading", "ünïcode".encode()]
)
def test_an_unsafe_id_from_the_caller_is_replaced(client: TestClient, given: str | bytes) -> None:
    returned = client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"]
    assert GENERATED.fullmatch(returned)


def test_error_responses_carry_the_id_too(client: TestClient) -> None:
    response = client.get("/v1/listings", headers={"X-Request-ID": "denied-1"})
    assert response.status_code == 401
    assert response.headers["X-Request-ID"] == "denied-1"


def test_every_record_of_a_request_carries_its_id_and_one_access_line_is_logged(
    app_with_probe: FastAPI, actors: Actors, captured: Captured
) -> None:
    with TestClient(app_with_probe) as client:
        captured.records.clear()
        response = client.get("/v1/probe", headers=actors.sme.headers | {"X-Request-ID": "req-42"})
    assert response.status_code == 200

    inside = [r for r in captured.records if r.name == "tests.probe"]
    access = [r for r in captured.records if r.name == "app.access"]
    assert [getattr(r, "request_id", None) for r in inside] == ["req-42"]
    assert len(access) == 1
    line = json.loads(JsonFormatter().format(access[0]))
    prefix = actors.sme.key.split("_")[1]
    assert {k: line[k] for k in ("msg", "method", "route", "status", "key_prefix")} == {
        "msg": "GET /v1/probe 200",
        "method": "GET",
        "route": "/v1/probe",
        "status": 200,
        "key_prefix": prefix,
    }
    assert line["request_id"] == "req-42"
    assert isinstance(line["duration_ms"], float)
    secret = actors.sme.key.split("_")[2]
    assert all(secret not in JsonFormatter().format(r) for r in captured.records)


def test_an_unexpected_error_is_logged_and_answered_under_the_request_id(
    app_with_probe: FastAPI, actors: Actors, captured: Captured
) -> None:
    with TestClient(app_with_probe, raise_server_exceptions=False) as client:
        response = client.get(
            "/v1/probe",
            params={"fail": "true"},
            headers=actors.sme.headers | {"X-Request-ID": "e-1"},
        )

    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "e-1"
    errors = [r for r in captured.records if r.exc_info]
    assert [getattr(r, "request_id", None) for r in errors] == ["e-1"]
    access = [r for r in captured.records if r.name == "app.access"]
    assert [(r.__dict__["status"], r.__dict__["request_id"]) for r in access] == [(500, "e-1")]


def test_records_outside_a_request_carry_no_id(client: TestClient, captured: Captured) -> None:
    client.get("/healthz")
    logging.getLogger("tests.outside").warning("between requests")

    [record] = [r for r in captured.records if r.name == "tests.outside"]
    assert not hasattr(record, "request_id")
