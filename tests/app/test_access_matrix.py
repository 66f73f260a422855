"""Access control as a matrix: every route of the app × every kind of caller × own / other org.

The routes come from the application's own route table, so a route added without an entry in
`tests.app.access.MATRIX` fails `test_every_route_has_an_entry_in_the_access_matrix`.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.main import create_app
from app.models import AuditEntry, OrganisationKind, Role
from app.services import keys
from tests.app.access import CALLERS, DOC_ROUTES, MATRIX, PUBLIC_ROUTES, World, settle
from tests.factories import Actor, Actors, listing_payload, make_actor


def api_routes(app: Any) -> tuple[set[tuple[str, str]], set[str]]:
    """Return the app's (method, path) pairs of API routes, and the paths of all other routes."""
    api: set[tuple[str, str]] = set()
    other: set[str] = set()
    for route in iter_route_contexts(app.routes):
        if getattr(route, "dependant", None) is None:
            other.add(str(route.path_format))
            continue
        for method in route.methods or ():
            if method != "HEAD":
                api.add((method, str(route.path_format)))
    return api, other


ROUTES, OTHER_PATHS = api_routes(create_app(Settings(embedding_model="hash-64")))


def test_every_route_has_an_entry_in_the_access_matrix() -> None:
    missing = sorted(ROUTES - set(MATRIX))
    assert missing == [], f"add these routes to tests/app/access.py MATRIX: {missing}"
    assert OTHER_PATHS <= DOC_ROUTES, f"routes outside the API and the docs: {OTHER_PATHS}"


def test_only_the_probes_are_public() -> None:
    public = {route for route, entry in MATRIX.items() if entry.expect["anonymous"] != 401}
    assert public <= PUBLIC_ROUTES


@pytest.fixture()
def world(client: TestClient, actors: Actors) -> World:
    listing = client.post("/v1/listings", json=listing_payload(), headers=actors.tto.headers)
    assert listing.status_code == 201, listing.text
    demand = client.post(
        "/v1/demands",
        json={"title": "保密需求：电主轴轴承监测", "description": "不公开的技术需求。"},
        headers=actors.sme.headers,
    )
    assert demand.status_code == 201, demand.text
    serial = itertools.count(700)
    return World(listing.json()["id"], demand.json()["id"], lambda: next(serial))


@pytest.fixture()
def callers(actors: Actors, session: Session) -> dict[str, Actor | None]:
    revoked = make_actor(session, "测试大学", OrganisationKind.UNIVERSITY, Role.TTO)
    keys.revoke(session=session, prefix=revoked.key.split("_")[1])
    session.commit()
    return {
        "anonymous": None,
        "revoked": revoked,
        "operator": actors.operator,
        "other_sme": actors.other_sme,
        "other_tto": actors.other_tto,
        "sme": actors.sme,
        "tto": actors.tto,
    }


def _audit_rows(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_answers_each_caller_as_the_matrix_says(
    client: TestClient,
    session: Session,
    world: World,
    callers: dict[str, Actor | None],
    route: tuple[str, str],
) -> None:
    method, template = route
    entry = MATRIX[route]
    path = template.format(listing_id=world.listing_id, demand_id=world.demand_id)
    got: dict[str, int] = {}
    for caller in CALLERS:
        actor = callers[caller]
        before = _audit_rows(session)
        response = client.request(
            method, path, headers=actor.headers if actor else {}, **entry.build(world)
        )
        settle(client.app)
        got[caller] = response.status_code
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert list(response.json()) == ["detail"], response.text
        if entry.writes:
            added = _audit_rows(session) - before
            assert added == (1 if response.status_code < 300 else 0), (caller, response.text)
    assert got == entry.expect


@pytest.mark.parametrize("route", sorted(ROUTES - PUBLIC_ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_a_caller_without_a_key_gets_401_before_its_input_is_even_read(
    client: TestClient, world: World, route: tuple[str, str]
) -> None:
    method, template = route
    path = template.format(listing_id=world.listing_id, demand_id=world.demand_id)
    # An invalid body and a non-numeric id: still 401, so the schema does not leak to strangers.
    for target in (path, template.format(listing_id="x", demand_id="x")):
        response = client.request(method, target, content=b"{not json", headers={})
        assert response.status_code == 401, (target, response.text)
