"""Calls of the listings API that several test modules share, each asserting it succeeded."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import Actor, listing_payload


def loosely_spelled(number: str) -> str:
    """Return `201910000001.X` as a TTO might type it: `ZL 2019 1000 0001.X`."""
    digits, check = number.split(".")
    return f"ZL {digits[:4]} {digits[4:8]} {digits[8:]}.{check}"


def years_ago(years: float) -> date:
    """Return the date about `years` years before today."""
    return date.today() - timedelta(days=round(years * 365.25))


def create_listing(client: TestClient, actor: Actor, **overrides: Any) -> dict[str, Any]:
    """Create a listing from `listing_payload(**overrides)` and return the response body."""
    response = client.post("/v1/listings", json=listing_payload(**overrides), headers=actor.headers)
    assert response.status_code == 201, response.json()
    body: dict[str, Any] = response.json()
    return body


def read_listing(client: TestClient, listing_id: int, actor: Actor) -> dict[str, Any]:
    """Return `GET /v1/listings/{listing_id}`."""
    response = client.get(f"/v1/listings/{listing_id}", headers=actor.headers)
    assert response.status_code == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


def list_listings(client: TestClient, actor: Actor, **params: Any) -> dict[str, Any]:
    """Return one page of `GET /v1/listings` with `params` as the query."""
    response = client.get("/v1/listings", params=params, headers=actor.headers)
    assert response.status_code == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


def count_listings(client: TestClient, actor: Actor) -> int:
    """Return how many listings are stored, whatever their status."""
    total: int = list_listings(client, actor, status="any")["total"]
    return total
