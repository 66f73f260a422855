"""Authentication, roles and the error shape."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import ApiKey
from app.services import keys
from tests.factories import Actors


def test_request_without_key_is_401_in_the_api_error_shape(client: TestClient) -> None:
    response = client.get("/v1/listings")
    assert response.status_code == 401
    assert response.json() == {
        "detail": [
            {
                "msg": "missing X-API-Key header",
                "type": "unauthenticated",
                "loc": ["header", "X-API-Key"],
            }
        ]
    }
    assert response.headers["WWW-Authenticate"] == "APIKey"


def test_unknown_key_is_401(client: TestClient, actors: Actors) -> None:
    wrong = actors.tto.key[:-4] + "AAAA"
    response = client.get("/v1/listings", headers={"X-API-Key": wrong})
    assert response.status_code == 401
    assert response.json()["detail"][0]["msg"] == "invalid API key"


def test_malformed_key_is_401(client: TestClient) -> None:
    response = client.get("/v1/listings", headers={"X-API-Key": "' OR 1=1 --"})
    assert response.status_code == 401


def test_revoked_key_is_401(client: TestClient, actors: Actors, session: Session) -> None:
    prefix = actors.sme.key.split("_")[1]
    keys.revoke(session=session, prefix=prefix)
    session.commit()
    response = client.get("/v1/demands", headers=actors.sme.headers)
    assert response.status_code == 401
    assert response.json()["detail"][0]["msg"] == "this API key has been revoked"


def test_key_secret_is_stored_only_as_a_salted_hash(actors: Actors, session: Session) -> None:
    prefix, secret = actors.tto.key.split("_")[1:]
    stored = session.query(ApiKey).filter_by(prefix=prefix).one()
    assert secret not in (stored.secret_hash, stored.salt)
    other = session.query(ApiKey).filter_by(prefix=actors.sme.key.split("_")[1]).one()
    assert stored.salt != other.salt


def test_sme_key_cannot_create_a_listing(client: TestClient, actors: Actors) -> None:
    response = client.post("/v1/listings", json={}, headers=actors.sme.headers)
    assert response.status_code == 403
    assert response.json()["detail"][0]["msg"] == "this needs a key with role tto; yours is sme"


def test_tto_key_cannot_post_a_demand(client: TestClient, actors: Actors) -> None:
    response = client.post(
        "/v1/demands", json={"title": "x", "description": "y"}, headers=actors.tto.headers
    )
    assert response.status_code == 403


def test_unknown_route_is_404_and_says_nothing_more(client: TestClient, actors: Actors) -> None:
    for headers in ({}, actors.tto.headers):
        response = client.get("/v1/admin/../../etc/passwd", headers=headers)
        assert response.status_code == 404
        assert response.json() == {
            "detail": [{"msg": "not found", "type": "http_error", "loc": []}]
        }


def test_wrong_method_is_405_in_the_error_shape(client: TestClient, actors: Actors) -> None:
    response = client.put("/v1/listings", headers=actors.tto.headers)
    assert response.status_code == 405
    assert response.json()["detail"][0]["msg"] == "method not allowed"


def test_health_needs_no_key(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert (ready["status"], ready["database"], ready["index"]["loaded"]) == ("ready", "ok", True)
