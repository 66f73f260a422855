"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis).

Every operation gets generated requests, valid and invalid, sent with a key of the role the
operation wants (from the access matrix). No response may be a 5xx or break the response
schema the API publishes. Bounded by `MAX_EXAMPLES` per operation so that a run takes about a
minute per database; `FUZZ_EXAMPLES` in the environment raises it for a deeper local run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.main import create_app
from matching.embedder import HashingEmbedder
from tests.app.access import fuzz_role, settle
from tests.factories import Actors, listing_payload

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))


@pytest.fixture()
def fuzz_app(
    settings: Settings, session_factory: sessionmaker[Session], actors: Actors
) -> Iterator[FastAPI]:
    """Return a started app without rate limits, with a listing and a demand to find."""
    app = create_app(
        settings.model_copy(update={"rate_limit_per_second": 0}),
        session_factory=session_factory,
        embedder=HashingEmbedder(64),
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        # Small ids exist, so that generated ids sometimes reach real rows.
        client.post("/v1/listings", json=listing_payload(), headers=actors.tto.headers)
        client.post(
            "/v1/demands",
            json={"title": "轴承监测", "description": "需要轴承在线监测技术。"},
            headers=actors.sme.headers,
        )
        app.state.fuzz_keys = {
            "tto": actors.tto.key,
            "sme": actors.sme.key,
            "operator": actors.operator.key,
        }
        yield app


# The schema is the app's own; requests go to the per-test app below (`app=` in the call).
schema = schemathesis.openapi.from_dict(create_app(Settings(embedding_model="hash-64")).openapi())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_generated_request_gets_a_server_error_or_breaks_the_schema(
    case: schemathesis.Case, fuzz_app: FastAPI
) -> None:
    role = fuzz_role(case.operation.method, case.operation.path)
    key = fuzz_app.state.fuzz_keys[role]
    case.call_and_validate(
        app=fuzz_app,
        headers={"X-API-Key": key},
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
    settle(fuzz_app)
