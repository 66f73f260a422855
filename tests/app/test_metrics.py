"""Health and readiness (no key, GET and HEAD), and Prometheus metrics (operator only): route
templates as labels, index and database figures computed at scrape time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from app.models import IndexVersion, IndexVersionStatus, utcnow
from app.schemas import ListingCreate
from app.services.listings import service as listings
from tests.app.listing_calls import create_listing
from tests.factories import Actor, Actors, listing_payload

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient, operator: Actor) -> Samples:
    response = client.get("/metrics", headers=operator.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def labelled(samples: Samples, name: str) -> list[dict[str, str]]:
    return [dict(labels) for sample_name, labels in samples if sample_name == name]


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def test_probes_need_no_key(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    assert client.get("/v1/listings").status_code == 401


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_head_with_the_status_of_get_and_no_body(
    client: TestClient, path: str
) -> None:
    response = client.head(path)

    assert response.status_code == 200
    assert response.content == b""


def test_readyz_head_is_503_while_the_index_is_not_loaded(client: TestClient) -> None:
    client.app.state.engine.ready = False  # type: ignore[attr-defined]

    response = client.head("/readyz")

    assert (response.status_code, response.content) == (503, b"")
    assert client.get("/readyz").status_code == 503


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-Key": "pb_000000000000_" + "0" * 48}, {"Authorization": "Bearer nonsense"}],
)
def test_metrics_without_an_operator_key_is_401_and_counts_nothing(
    client: TestClient, actors: Actors, headers: dict[str, str]
) -> None:
    demand = {"title": "保密需求", "description": "不公开的技术需求。"}
    assert client.post("/v1/demands", json=demand, headers=actors.sme.headers).status_code == 201

    response = client.get("/metrics", headers=headers)

    assert response.status_code == 401
    assert list(response.json()) == ["detail"]
    assert "patentbridge" not in response.text


@pytest.mark.parametrize("role", ["sme", "tto"])
def test_metrics_with_a_key_of_another_role_is_403(
    client: TestClient, actors: Actors, role: str
) -> None:
    response = client.get("/metrics", headers=getattr(actors, role).headers)

    assert response.status_code == 403
    assert "patentbridge" not in response.text


def test_prometheus_scrapes_with_the_operator_key_as_a_bearer_token(
    client: TestClient, actors: Actors
) -> None:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {actors.operator.key}"})

    assert response.status_code == 200
    assert "patentbridge_index_ready 1.0" in response.text


def test_readyz_reports_the_database_and_the_loaded_index(
    client: TestClient, actors: Actors
) -> None:
    create_listing(client, actors.tto)

    body = client.get("/readyz").json()

    assert body["status"] == "ready"
    assert body["database"] == "ok"
    assert body["index"]["loaded"] is True
    assert body["index"]["listings"] == 1
    assert body["index"]["model"] == "hash-64"
    assert body["index"]["version"].startswith("database; caught up to ")


def test_readyz_is_unavailable_until_the_index_is_loaded(client: TestClient) -> None:
    client.app.state.engine.ready = False  # type: ignore[attr-defined]

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["index"]["loaded"] is False


def test_request_metrics_are_labelled_by_route_template_never_by_raw_path(
    client: TestClient, actors: Actors
) -> None:
    first = create_listing(client, actors.tto)["id"]
    second = create_listing(client, actors.tto)["id"]
    for listing_id in (first, second, 987654321):
        client.get(f"/v1/listings/{listing_id}", headers=actors.sme.headers)
    client.get("/no/such/route/123", headers=actors.sme.headers)
    client.get("/no/such/route/456", headers=actors.sme.headers)

    samples = scrape(client, actors.operator)

    routes = {labels["route"] for labels in labelled(samples, "patentbridge_http_requests_total")}
    assert routes == {"/v1/listings", "/v1/listings/{listing_id}", "unmatched"}
    template = "/v1/listings/{listing_id}"
    total = "patentbridge_http_requests_total"
    assert value(samples, total, method="GET", route=template, status="200") == 2
    assert value(samples, total, method="GET", route=template, status="404") == 1
    assert value(samples, total, method="POST", route="/v1/listings", status="201") == 2
    assert value(samples, total, method="GET", route="unmatched", status="404") == 2
    count = "patentbridge_http_request_duration_seconds_count"
    assert value(samples, count, method="GET", route=template) == 3
    buckets = labelled(samples, "patentbridge_http_request_duration_seconds_bucket")
    assert {"method": "GET", "route": template, "le": "0.025"} in buckets


def test_index_and_database_figures_are_exposed(
    client: TestClient, actors: Actors, session: Session
) -> None:
    create_listing(client, actors.tto)
    # Written around the API, as an import under another model would be: no vector stored.
    listings.create(
        session=session,
        organisation=actors.tto.organisation,
        data=ListingCreate.model_validate(listing_payload()),
    )
    finished = utcnow() - timedelta(hours=2)
    for status, at in ((IndexVersionStatus.READY, finished), (IndexVersionStatus.FAILED, utcnow())):
        session.add(
            IndexVersion(
                status=status,
                model_id="hash-64",
                dimension=64,
                index_type="flat",
                path="x",
                started_at=at - timedelta(minutes=1),
                finished_at=at,
            )
        )
    session.commit()

    samples = scrape(client, actors.operator)

    assert value(samples, "patentbridge_index_ready") == 1
    assert value(samples, "patentbridge_index_listings") == 1
    [info] = labelled(samples, "patentbridge_index_info")
    assert info["model"] == "hash-64"
    assert info["version"] == "database"
    assert value(samples, "patentbridge_embedding_queue_length") == 1
    assert (
        value(samples, "patentbridge_reindex_last_success_timestamp_seconds")
        == finished.timestamp()
    )
    age = value(samples, "patentbridge_reindex_age_seconds")
    assert 7200 <= age < 7300
