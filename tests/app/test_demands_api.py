"""Demands over the API: an SME posts, reads, edits and withdraws only its own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from app.models import DemandEmbedding
from app.search.embeddings import from_bytes, to_bytes
from matching.embedder import HashingEmbedder
from tests.factories import Actor, Actors

UNKNOWN_ID = 987654321


def demand_payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "数控机床主轴轴承早期故障预警",
        "description": "我司生产精密数控机床，希望引进基于振动信号的主轴轴承故障诊断技术，"
        "实现早期预警，降低停机损失。",
        "industry_code": "34",
    }
    body.update(overrides)
    return body


def create_demand(client: TestClient, actor: Actor, **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/demands", json=demand_payload(**overrides), headers=actor.headers)
    assert response.status_code == 201, response.json()
    body: dict[str, Any] = response.json()
    return body


def read_demand(client: TestClient, demand_id: int, actor: Actor) -> dict[str, Any]:
    response = client.get(f"/v1/demands/{demand_id}", headers=actor.headers)
    assert response.status_code == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


def list_demands(client: TestClient, actor: Actor, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/demands", params=params, headers=actor.headers)
    assert response.status_code == 200, response.json()
    body: dict[str, Any] = response.json()
    return body


def patch(
    client: TestClient,
    demand_id: int,
    actor: Actor,
    body: dict[str, Any],
    if_match: str | None = None,
) -> Response:
    headers = actor.headers | ({"If-Match": if_match} if if_match is not None else {})
    return client.patch(f"/v1/demands/{demand_id}", json=body, headers=headers)


def declared(demand: dict[str, Any]) -> dict[str, Any]:
    """Return a demand without the fields the server stamps (id, timestamps)."""
    return {k: v for k, v in demand.items() if k not in {"id", "created_at", "updated_at"}}


def owner(actor: Actor) -> dict[str, Any]:
    org = actor.organisation
    return {"id": org.id, "name": org.name, "kind": org.kind.value, "province": org.province}


def not_found(demand_id: int) -> dict[str, Any]:
    return {
        "detail": [
            {
                "msg": f"demand {demand_id} does not exist",
                "type": "not_found",
                "loc": ["path", "demand_id"],
            }
        ]
    }


# --- create ----------------------------------------------------------------------------------


def test_sme_creates_a_private_demand_in_its_own_province(
    client: TestClient, actors: Actors
) -> None:
    response = client.post("/v1/demands", json=demand_payload(), headers=actors.sme.headers)

    assert response.status_code == 201
    body = response.json()
    assert response.headers["Location"] == f"/v1/demands/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    assert declared(body) == {
        "title": "数控机床主轴轴承早期故障预警",
        "description": demand_payload()["description"],
        "industry_code": "C34",
        "province": "江苏省",
        "budget_yuan": None,
        "annual_sales_yuan": None,
        "visibility": "private",
        "alert_min_score": None,
        "status": "open",
        "owner": owner(actors.sme),
        "version": 1,
    }
    assert datetime.fromisoformat(body["updated_at"]) >= datetime.fromisoformat(body["created_at"])
    assert read_demand(client, body["id"], actors.sme) == body


def test_create_normalises_what_the_sme_declares(client: TestClient, actors: Actors) -> None:
    body = create_demand(
        client,
        actors.sme,
        title="  含控制字符\x00的\x1b标题 ",
        industry_code="c",
        province="guangdong",
        budget_yuan=300000,
        annual_sales_yuan=20_000_000.004,
        visibility="public",
    )
    assert declared(body) == {
        "title": "含控制字符的标题",
        "description": demand_payload()["description"],
        "industry_code": "C",
        "province": "广东省",
        "budget_yuan": 300000.0,
        "annual_sales_yuan": 20_000_000.0,
        "visibility": "public",
        "alert_min_score": None,
        "status": "open",
        "owner": owner(actors.sme),
        "version": 1,
    }


def test_demand_of_an_sme_without_a_province_has_none(client: TestClient, actors: Actors) -> None:
    assert create_demand(client, actors.other_sme)["province"] is None


@pytest.mark.parametrize("role", ["tto", "operator"])
def test_only_an_sme_may_post_a_demand(client: TestClient, actors: Actors, role: str) -> None:
    response = client.post(
        "/v1/demands", json=demand_payload(), headers=getattr(actors, role).headers
    )
    assert response.status_code == 403
    assert response.json() == {
        "detail": [
            {
                "msg": f"this needs a key with role sme; yours is {role}",
                "type": "forbidden",
                "loc": [],
            }
        ]
    }
    assert list_demands(client, actors.sme, include_withdrawn=True)["total"] == 0


# case: (fields replaced in a valid payload, location of the problem, message, type)
INVALID_DEMANDS: dict[str, tuple[dict[str, Any], str, str, str]] = {
    "title-empty": (
        {"title": ""},
        "title",
        "String should have at least 1 character",
        "string_too_short",
    ),
    "title-blank": (
        {"title": " \t\x00"},
        "title",
        "String should have at least 1 character",
        "string_too_short",
    ),
    "description-null": (
        {"description": None},
        "description",
        "Input should be a valid string",
        "string_type",
    ),
    "budget-negative": (
        {"budget_yuan": -1},
        "budget_yuan",
        "Input should be greater than or equal to 0",
        "greater_than_equal",
    ),
    "budget-not-a-number": (
        {"budget_yuan": "很多"},
        "budget_yuan",
        "Input should be a valid number, unable to parse string as a number",
        "float_parsing",
    ),
    "annual-sales-zero": (
        {"annual_sales_yuan": 0},
        "annual_sales_yuan",
        "expected annual sales must be at least 1 yuan; leave them out if unknown, and the "
        "fees are priced for an example",
        "greater_than_equal",
    ),
    "annual-sales-beyond-any-firm": (
        {"annual_sales_yuan": 2e13},
        "annual_sales_yuan",
        "expected annual sales must be at most 10,000,000,000,000 yuan; write them in yuan",
        "less_than_equal",
    ),
    "visibility-unknown": (
        {"visibility": "secret"},
        "visibility",
        "Input should be 'public' or 'private'",
        "enum",
    ),
    "industry-unknown": (
        {"industry_code": "98"},
        "industry_code",
        "'98' is not a GB/T 4754-2017 division (01 to 97)",
        "value_error",
    ),
    "province-unknown": (
        {"province": "Atlantis"},
        "province",
        "'Atlantis' is not a Chinese provincial-level division (e.g. 广东省, 广东 or Guangdong)",
        "value_error",
    ),
    "unknown-field": (
        {"status": "open"},
        "status",
        "Extra inputs are not permitted",
        "extra_forbidden",
    ),
}


@pytest.mark.parametrize(
    ("overrides", "field", "msg", "type_"), INVALID_DEMANDS.values(), ids=INVALID_DEMANDS
)
def test_create_rejects_an_invalid_demand_naming_the_field_and_writes_nothing(
    client: TestClient,
    actors: Actors,
    overrides: dict[str, Any],
    field: str,
    msg: str,
    type_: str,
) -> None:
    response = client.post(
        "/v1/demands", json=demand_payload(**overrides), headers=actors.sme.headers
    )
    assert response.status_code == 422
    assert response.json() == {"detail": [{"msg": msg, "type": type_, "loc": ["body", field]}]}
    assert list_demands(client, actors.sme, include_withdrawn=True)["total"] == 0


def test_a_bad_annual_sales_figure_is_explained_in_chinese_by_default(
    client: TestClient, actors: Actors
) -> None:
    chinese = actors.sme.headers | {"Accept-Language": "zh"}
    cases = [
        (0, "预计年销售额应至少为 1 元；不清楚时请不填，费用将按年销售额示例估算"),
        (-5, "预计年销售额应至少为 1 元；不清楚时请不填，费用将按年销售额示例估算"),
        (2e13, "预计年销售额最多 10 万亿元（10,000,000,000,000 元）；请按元填写"),
        ("两千万", "应为数字"),
    ]
    for value, msg in cases:
        response = client.post(
            "/v1/demands", json=demand_payload(annual_sales_yuan=value), headers=chinese
        )
        assert response.status_code == 422, value
        [problem] = response.json()["detail"]
        assert (problem["loc"], problem["msg"]) == (["body", "annual_sales_yuan"], msg)
    assert list_demands(client, actors.sme, include_withdrawn=True)["total"] == 0


# --- privacy ---------------------------------------------------------------------------------


def test_another_smes_demand_looks_exactly_like_one_that_does_not_exist(
    client: TestClient, actors: Actors
) -> None:
    mine = create_demand(client, actors.sme)
    path = f"/v1/demands/{mine['id']}"
    other = actors.other_sme.headers

    attempts = [
        client.get(path, headers=other),
        client.patch(path, json={"title": "被篡改"}, headers=other),
        client.patch(path, json={"title": "被篡改"}, headers=other | {"If-Match": '"1"'}),
        client.delete(path, headers=other),
    ]

    assert [(r.status_code, r.json()) for r in attempts] == [(404, not_found(mine["id"]))] * 4
    unknown = client.get(f"/v1/demands/{UNKNOWN_ID}", headers=other)
    assert (unknown.status_code, unknown.json()) == (404, not_found(UNKNOWN_ID))
    assert read_demand(client, mine["id"], actors.sme) == mine


def test_tto_cannot_read_a_demand(client: TestClient, actors: Actors) -> None:
    mine = create_demand(client, actors.sme)
    response = client.get(f"/v1/demands/{mine['id']}", headers=actors.tto.headers)
    assert response.status_code == 403
    assert response.json()["detail"][0]["msg"] == "this needs a key with role sme; yours is tto"


# --- list ------------------------------------------------------------------------------------


def test_list_shows_only_my_demands_newest_first_with_paging(
    client: TestClient, actors: Actors
) -> None:
    mine = [create_demand(client, actors.sme, title=f"需求{i}")["id"] for i in range(7)]
    theirs = create_demand(client, actors.other_sme)["id"]

    pages = [list_demands(client, actors.sme, limit=3, offset=o) for o in (0, 3, 6)]

    assert [(p["total"], p["limit"], p["offset"], len(p["items"])) for p in pages] == [
        (7, 3, 0, 3),
        (7, 3, 3, 3),
        (7, 3, 6, 1),
    ]
    assert [item["id"] for p in pages for item in p["items"]] == mine[::-1]
    their_page = list_demands(client, actors.other_sme)
    assert (their_page["total"], [item["id"] for item in their_page["items"]]) == (1, [theirs])


def test_list_hides_withdrawn_demands_unless_asked(client: TestClient, actors: Actors) -> None:
    kept = create_demand(client, actors.sme)["id"]
    withdrawn = create_demand(client, actors.sme)["id"]
    assert client.delete(f"/v1/demands/{withdrawn}", headers=actors.sme.headers).is_success

    def ids(**params: Any) -> list[int]:
        return [item["id"] for item in list_demands(client, actors.sme, **params)["items"]]

    assert ids() == [kept]
    assert ids(include_withdrawn=False) == [kept]
    assert ids(include_withdrawn=True) == [withdrawn, kept]


def test_list_limit_above_100_is_422(client: TestClient, actors: Actors) -> None:
    response = client.get("/v1/demands", params={"limit": 101}, headers=actors.sme.headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


# --- edit ------------------------------------------------------------------------------------


def test_edit_changes_fields_and_bumps_the_version(client: TestClient, actors: Actors) -> None:
    before = create_demand(client, actors.sme)

    response = patch(
        client,
        before["id"],
        actors.sme,
        {
            "budget_yuan": 500000,
            "visibility": "public",
            "province": "Shanghai",
            "industry_code": "35",
        },
    )

    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    after = response.json()
    assert declared(after) == declared(before) | {
        "budget_yuan": 500000.0,
        "visibility": "public",
        "province": "上海市",
        "industry_code": "C35",
        "version": 2,
    }
    assert after["created_at"] == before["created_at"]
    assert datetime.fromisoformat(after["updated_at"]) > datetime.fromisoformat(
        before["updated_at"]
    )
    assert read_demand(client, before["id"], actors.sme) == after


def test_edit_rechecks_the_demand_and_keeps_it_on_failure(
    client: TestClient, actors: Actors
) -> None:
    before = create_demand(client, actors.sme)
    cases = [
        ({"title": ""}, "title", "String should have at least 1 character"),
        ({"title": None}, "title", "Input should be a valid string"),
        ({"budget_yuan": -5}, "budget_yuan", "Input should be greater than or equal to 0"),
        ({"visibility": "secret"}, "visibility", "Input should be 'public' or 'private'"),
        ({"visibility": None}, "visibility", "Input should be 'public' or 'private'"),
        (
            {"industry_code": "98"},
            "industry_code",
            "'98' is not a GB/T 4754-2017 division (01 to 97)",
        ),
        ({"owner": "别人"}, "owner", "Extra inputs are not permitted"),
    ]
    for change, field, msg in cases:
        response = patch(client, before["id"], actors.sme, change)
        assert response.status_code == 422, change
        [problem] = response.json()["detail"]
        assert (problem["loc"], problem["msg"]) == (["body", field], msg)
    assert read_demand(client, before["id"], actors.sme) == before


def test_edit_that_changes_nothing_keeps_the_version(client: TestClient, actors: Actors) -> None:
    before = create_demand(client, actors.sme, budget_yuan=1.005)
    assert before["budget_yuan"] == 1.01
    same_values = {"title": before["title"], "industry_code": "C34", "province": "江苏"}
    for change in ({}, same_values, {"budget_yuan": 1.01}):
        response = patch(client, before["id"], actors.sme, change)
        assert (response.status_code, response.headers["ETag"]) == (200, '"1"')
        assert response.json() == before


def test_edit_with_a_stale_if_match_is_409_and_changes_nothing(
    client: TestClient, actors: Actors
) -> None:
    demand_id = create_demand(client, actors.sme)["id"]
    assert patch(client, demand_id, actors.sme, {"budget_yuan": 1000}).status_code == 200
    current = read_demand(client, demand_id, actors.sme)

    response = patch(client, demand_id, actors.sme, {"budget_yuan": 2000}, if_match='"1"')

    assert response.status_code == 409
    assert response.json() == {
        "detail": [
            {
                "msg": f"demand {demand_id} is at version 2, not 1: "
                "reload it and apply your edit again",
                "type": "conflict",
                "loc": ["header", "If-Match"],
            }
        ]
    }
    assert read_demand(client, demand_id, actors.sme) == current
    fresh = patch(client, demand_id, actors.sme, {"budget_yuan": 2000}, if_match='"2"')
    assert (fresh.status_code, fresh.json()["version"], fresh.json()["budget_yuan"]) == (
        200,
        3,
        2000.0,
    )


def test_editing_the_annual_sales_keeps_the_stored_vector(
    client: TestClient, actors: Actors, session: Session
) -> None:
    demand_id = create_demand(client, actors.sme)["id"]
    stored = session.get_one(DemandEmbedding, (demand_id, HashingEmbedder(64).model_id))
    text_hash = stored.text_hash
    # A vector the embedder would never give: a new embedding of the text would replace it.
    marker = to_bytes(-from_bytes(stored.vector, stored.dimension))
    stored.vector = marker
    session.commit()

    edited = patch(client, demand_id, actors.sme, {"annual_sales_yuan": 30_000_000}, '"1"')
    cleared = patch(client, demand_id, actors.sme, {"annual_sales_yuan": None}, '"2"')
    refused = patch(client, demand_id, actors.sme, {"annual_sales_yuan": 0}, '"3"')

    assert (edited.status_code, edited.json()["annual_sales_yuan"]) == (200, 30_000_000.0)
    assert edited.headers["ETag"] == '"2"'
    assert (cleared.status_code, cleared.json()["annual_sales_yuan"]) == (200, None)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "annual_sales_yuan"]
    assert read_demand(client, demand_id, actors.sme)["version"] == 3
    session.expire_all()
    after = session.get_one(DemandEmbedding, (demand_id, HashingEmbedder(64).model_id))
    assert (after.text_hash, after.vector) == (text_hash, marker)


def test_editing_the_annual_sales_with_a_stale_if_match_is_409(
    client: TestClient, actors: Actors
) -> None:
    demand_id = create_demand(client, actors.sme, annual_sales_yuan=10_000_000)["id"]
    assert patch(client, demand_id, actors.sme, {"title": "新标题"}).status_code == 200

    response = patch(client, demand_id, actors.sme, {"annual_sales_yuan": 5e7}, if_match='"1"')

    assert (response.status_code, response.json()["detail"][0]["type"]) == (409, "conflict")
    assert read_demand(client, demand_id, actors.sme)["annual_sales_yuan"] == 10_000_000.0


# --- withdraw --------------------------------------------------------------------------------


def test_withdrawn_demand_stays_readable_to_its_owner(client: TestClient, actors: Actors) -> None:
    before = create_demand(client, actors.sme)

    response = client.delete(f"/v1/demands/{before['id']}", headers=actors.sme.headers)

    assert response.status_code == 200
    withdrawn = response.json()
    assert declared(withdrawn) == declared(before) | {"status": "withdrawn", "version": 2}
    assert read_demand(client, before["id"], actors.sme) == withdrawn
    again = client.delete(f"/v1/demands/{before['id']}", headers=actors.sme.headers)
    assert (again.status_code, again.json()) == (200, withdrawn)


def test_withdrawing_an_unknown_demand_is_404(client: TestClient, actors: Actors) -> None:
    response = client.delete(f"/v1/demands/{UNKNOWN_ID}", headers=actors.sme.headers)
    assert (response.status_code, response.json()) == (404, not_found(UNKNOWN_ID))


def test_demand_ids_are_random_so_no_one_can_count_others_demands(
    client: TestClient, actors: Actors
) -> None:
    ids = [
        create_demand(client, actor)["id"]
        for _ in range(10)
        for actor in (actors.sme, actors.other_sme)
    ]

    steps = [later - earlier for earlier, later in zip(ids, ids[1:], strict=False)]
    # A sequence steps by 1; 19 random 31-bit ids all but never do (odds about 1 in 10**8).
    assert 1 not in steps
    assert len(set(ids)) == 20
    assert all(1 <= demand_id <= 2**31 - 1 for demand_id in ids)


def test_own_demands_list_newest_first_whatever_their_random_ids(
    client: TestClient, actors: Actors
) -> None:
    created = [create_demand(client, actors.sme)["id"] for _ in range(5)]

    listed = client.get("/v1/demands", headers=actors.sme.headers).json()["items"]

    assert [item["id"] for item in listed] == created[::-1]
