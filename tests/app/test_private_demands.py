"""A private demand is seen by its owner only: not in reverse matches, alerts, lists or totals."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.app.test_access_matrix import ROUTES
from tests.factories import Actor, Actors, listing_payload

SECRET_TITLE = "保密：数控机床主轴轴承早期故障在线监测"
NEED = {
    "description": "我司生产精密数控机床，需要基于振动信号的主轴轴承故障诊断方法，"
    "卷积神经网络识别故障。",
    "industry_code": "C34",
}


def _demand(client: TestClient, actor: Actor, title: str, visibility: str) -> int:
    body = NEED | {"title": title, "visibility": visibility}
    response = client.post("/v1/demands", json=body, headers=actor.headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _get(client: TestClient, actor: Actor, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture()
def listing_id(client: TestClient, actors: Actors) -> int:
    response = client.post("/v1/listings", json=listing_payload(), headers=actors.tto.headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_a_private_demand_never_reaches_a_university_through_reverse_matches(
    client: TestClient, actors: Actors, listing_id: int
) -> None:
    public = _demand(client, actors.other_sme, "公开：轴承故障在线监测", "public")
    path = f"/v1/listings/{listing_id}/matches"
    before = _get(client, actors.tto, path, limit=100)

    secret = _demand(client, actors.sme, SECRET_TITLE, "private")
    after = _get(client, actors.tto, path, limit=100)

    assert [item["demand"]["id"] for item in after["items"]] == [public]
    assert after["total"] == before["total"] == 1
    assert SECRET_TITLE not in str(after)
    assert secret != public


def test_a_private_demand_is_not_found_by_another_enterprise_anywhere(
    client: TestClient, actors: Actors, listing_id: int
) -> None:
    secret = _demand(client, actors.sme, SECRET_TITLE, "private")
    mine = _get(client, actors.other_sme, "/v1/demands", include_withdrawn=True)
    assert (mine["items"], mine["total"]) == ([], 0)

    unknown = 987_654_321
    for suffix in ("", "/matches", "/alerts"):
        if ("GET", "/v1/demands/{demand_id}" + suffix) not in ROUTES:
            continue
        theirs = client.get(f"/v1/demands/{secret}{suffix}", headers=actors.other_sme.headers)
        nothing = client.get(f"/v1/demands/{unknown}{suffix}", headers=actors.other_sme.headers)
        # Exactly the answer for an id that does not exist, so existence does not leak.
        assert theirs.status_code == nothing.status_code == 404
        assert theirs.json()["detail"][0]["msg"] == f"demand {secret} does not exist"
    feedback = client.post(
        "/v1/feedback",
        json={"demand_id": secret, "listing_id": listing_id, "verdict": "relevant"},
        headers=actors.other_sme.headers,
    )
    assert feedback.status_code == 404


def test_a_private_demand_never_appears_in_a_listing_s_alerts(
    client: TestClient, actors: Actors, listing_id: int
) -> None:
    if ("GET", "/v1/listings/{listing_id}/alerts") not in ROUTES:
        pytest.skip("this build has no alerts")
    public = _demand(client, actors.other_sme, "公开：轴承故障在线监测", "public")
    _demand(client, actors.sme, SECRET_TITLE, "private")
    # A fee change is one of the things that makes a listing newsworthy again.
    client.patch(
        f"/v1/listings/{listing_id}",
        json={"licence": {"royalty_type": "percentage", "rate_percent": 2.5}},
        headers=actors.tto.headers,
    )

    alerts = _get(client, actors.tto, f"/v1/listings/{listing_id}/alerts", limit=100)

    assert SECRET_TITLE not in str(alerts)
    assert {item["demand"]["id"] for item in alerts["items"]} <= {public}
