"""Alerts over the API: a demand hears of new and changed listings, a listing of new public
demands; nothing twice, nothing withdrawn, nothing private of another organisation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import MAX_ROW_ID, MatchAlert
from app.search.engine import SearchEngine
from app.services.alerts.service import record_new_matches
from tests.app.listing_calls import create_listing
from tests.factories import Actor, Actors

BEARING_NEED: dict[str, Any] = {
    "title": "数控机床主轴轴承早期故障预警",
    "description": "我司生产精密数控机床，希望引进基于振动信号的主轴轴承故障诊断技术，"
    "实现早期预警，降低停机损失。",
    "industry_code": "C34",
}
PLASTIC: dict[str, Any] = {
    "title": "一种可降解包装薄膜及其制备方法",
    "abstract": "本发明公开了一种可降解包装薄膜，以聚乳酸为基体并加入增韧剂，兼顾强度与降解性能。",
    "ipc_codes": ["C08L 67/04"],
    "industry_code": "C29",
}


def run_alerts(client: TestClient, session: Session) -> None:
    engine: SearchEngine = client.app.state.engine  # type: ignore[attr-defined]
    record_new_matches(session=session, engine=engine)
    session.commit()


def create_demand(client: TestClient, actor: Actor, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/demands", json=BEARING_NEED | fields, headers=actor.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def demand_alerts(
    client: TestClient, actor: Actor, demand_id: int, **params: Any
) -> httpx.Response:
    return client.get(f"/v1/demands/{demand_id}/alerts", params=params, headers=actor.headers)


def listing_alerts(
    client: TestClient, actor: Actor, listing_id: int, **params: Any
) -> httpx.Response:
    return client.get(f"/v1/listings/{listing_id}/alerts", params=params, headers=actor.headers)


def alerts_of(response: httpx.Response) -> list[tuple[str, int]]:
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return [(item["kind"], (item.get("listing") or item["demand"])["id"]) for item in items]


def match_score(client: TestClient, actor: Actor, demand_id: int, listing_id: int) -> float:
    page = client.get(f"/v1/demands/{demand_id}/matches", headers=actor.headers).json()
    scores = {item["listing"]["id"]: item["score"] for item in page["items"]}
    return float(scores[listing_id])


# --- a demand's alerts -----------------------------------------------------------------------


def test_demand_saves_and_returns_its_alert_threshold(client: TestClient, actors: Actors) -> None:
    demand = create_demand(client, actors.sme, alert_min_score=0.8)
    assert demand["alert_min_score"] == 0.8

    edited = client.patch(
        f"/v1/demands/{demand['id']}", json={"alert_min_score": None}, headers=actors.sme.headers
    )
    assert edited.status_code == 200
    assert edited.json()["alert_min_score"] is None
    assert create_demand(client, actors.sme)["alert_min_score"] is None


@pytest.mark.parametrize("bad", [0, -0.1, 1.01])
def test_alert_threshold_outside_zero_to_one_is_refused(
    client: TestClient, actors: Actors, bad: float
) -> None:
    response = client.post(
        "/v1/demands", json=BEARING_NEED | {"alert_min_score": bad}, headers=actors.sme.headers
    )
    assert response.status_code == 422
    assert [p["loc"] for p in response.json()["detail"]] == [["body", "alert_min_score"]]


def test_listing_published_after_the_demand_alerts_once_with_its_match_score(
    client: TestClient, actors: Actors, session: Session
) -> None:
    demand = create_demand(client, actors.sme, alert_min_score=0.5)
    listing = create_listing(client, actors.tto)

    run_alerts(client, session)
    first = demand_alerts(client, actors.sme, demand["id"])

    assert alerts_of(first) == [("new_listing", listing["id"])]
    item = first.json()["items"][0]
    assert item["score"] == match_score(client, actors.sme, demand["id"], listing["id"])
    assert item["listing"]["patent_number"] == listing["patent_number"]
    assert item["previous_licence"] is None
    assert (first.json()["remaining"], first.json()["marked_seen"]) == (0, True)

    run_alerts(client, session)
    assert alerts_of(demand_alerts(client, actors.sme, demand["id"])) == []
    history = demand_alerts(client, actors.sme, demand["id"], after=0)
    assert alerts_of(history) == [("new_listing", listing["id"])]
    assert history.json()["marked_seen"] is False


def test_listings_that_matched_before_alerts_were_on_do_not_alert(
    client: TestClient, actors: Actors, session: Session
) -> None:
    create_listing(client, actors.tto)
    demand = create_demand(client, actors.sme, alert_min_score=0.5)

    run_alerts(client, session)

    assert alerts_of(demand_alerts(client, actors.sme, demand["id"])) == []


def test_fee_change_on_a_matching_listing_alerts_again_with_the_old_terms(
    client: TestClient, actors: Actors, session: Session
) -> None:
    demand = create_demand(client, actors.sme, alert_min_score=0.5)
    listing = create_listing(client, actors.tto)
    run_alerts(client, session)
    assert alerts_of(demand_alerts(client, actors.sme, demand["id"])) == [
        ("new_listing", listing["id"])
    ]

    cheaper = {"licence": {"royalty_type": "percentage", "rate_percent": 1.5, "term_years": 3}}
    response = client.patch(
        f"/v1/listings/{listing['id']}", json=cheaper, headers=actors.tto.headers
    )
    assert response.status_code == 200
    run_alerts(client, session)

    page = demand_alerts(client, actors.sme, demand["id"])
    assert alerts_of(page) == [("fee_changed", listing["id"])]
    item = page.json()["items"][0]
    assert item["listing"]["licence"]["rate_percent"] == 1.5
    assert item["previous_licence"] == {
        "royalty_type": "percentage",
        "rate_percent": 3.0,
        "fixed_fee_yuan": None,
        "entry_fee_yuan": None,
        "term_years": 3,
    }
    run_alerts(client, session)
    assert alerts_of(demand_alerts(client, actors.sme, demand["id"])) == []


def test_changed_text_on_a_matching_listing_alerts_as_changed(
    client: TestClient, actors: Actors, session: Session
) -> None:
    demand = create_demand(client, actors.sme, alert_min_score=0.5)
    listing = create_listing(client, actors.tto)
    run_alerts(client, session)
    demand_alerts(client, actors.sme, demand["id"])

    new_title = {"title": "一种基于深度学习的数控机床主轴轴承故障诊断方法"}
    client.patch(f"/v1/listings/{listing['id']}", json=new_title, headers=actors.tto.headers)
    run_alerts(client, session)

    assert alerts_of(demand_alerts(client, actors.sme, demand["id"])) == [
        ("listing_changed", listing["id"])
    ]


def test_withdrawn_listing_does_not_alert_and_leaves_recorded_alerts(
    client: TestClient, actors: Actors, session: Session
) -> None:
    demand = create_demand(client, actors.sme, alert_min_score=0.5)
    withdrawn_early = create_listing(client, actors.tto)
    client.delete(f"/v1/listings/{withdrawn_early['id']}", headers=actors.tto.headers)
    withdrawn_late = create_listing(client, actors.other_tto)

    run_alerts(client, session)
    assert alerts_of(demand_alerts(client, actors.sme, demand["id"], after=0)) == [
        ("new_listing", withdrawn_late["id"])
    ]
    client.delete(f"/v1/listings/{withdrawn_late['id']}", headers=actors.other_tto.headers)

    page = demand_alerts(client, actors.sme, demand["id"])
    assert alerts_of(page) == []
    assert page.json()["remaining"] == 0


def test_listing_marked_not_relevant_leaves_both_the_matches_page_and_the_alerts(
    client: TestClient, actors: Actors, session: Session
) -> None:
    demand = create_demand(client, actors.sme, alert_min_score=0.5)
    rejected = create_listing(client, actors.tto)
    kept = create_listing(client, actors.other_tto)
    verdict = client.post(
        "/v1/feedback",
        json={"demand_id": demand["id"], "listing_id": rejected["id"], "verdict": "not_relevant"},
        headers=actors.sme.headers,
    )
    assert verdict.status_code == 201, verdict.text

    run_alerts(client, session)

    page = client.get(f"/v1/demands/{demand['id']}/matches", headers=actors.sme.headers).json()
    assert [item["listing"]["id"] for item in page["items"]] == [kept["id"]]
    assert alerts_of(demand_alerts(client, actors.sme, demand["id"])) == [
        ("new_listing", kept["id"])
    ]


def test_listing_below_the_threshold_does_not_alert(
    client: TestClient, actors: Actors, session: Session
) -> None:
    create_listing(client, actors.tto)
    demand = create_demand(client, actors.sme, alert_min_score=0.95)
    off_topic = create_listing(client, actors.tto, **PLASTIC)
    on_topic = create_listing(client, actors.other_tto)

    run_alerts(client, session)

    assert match_score(client, actors.sme, demand["id"], off_topic["id"]) < 0.95
    assert alerts_of(demand_alerts(client, actors.sme, demand["id"])) == [
        ("new_listing", on_topic["id"])
    ]


def test_demand_without_a_threshold_records_no_alerts(
    client: TestClient, actors: Actors, session: Session
) -> None:
    demand = create_demand(client, actors.sme)
    create_listing(client, actors.tto)

    run_alerts(client, session)

    assert alerts_of(demand_alerts(client, actors.sme, demand["id"])) == []


def test_alerts_page_by_limit_and_the_marker_advances_page_by_page(
    client: TestClient, actors: Actors, session: Session
) -> None:
    demand = create_demand(client, actors.sme, alert_min_score=0.3)
    ids = [create_listing(client, actors.tto)["id"] for _ in range(3)]
    run_alerts(client, session)

    first = demand_alerts(client, actors.sme, demand["id"], limit=2)
    second = demand_alerts(client, actors.sme, demand["id"], limit=2)
    history = demand_alerts(client, actors.sme, demand["id"], after=0)

    assert alerts_of(first) + alerts_of(second) == alerts_of(history)
    assert sorted(i for _, i in alerts_of(history)) == sorted(ids)
    assert (len(alerts_of(first)), first.json()["remaining"]) == (2, 1)
    assert (len(alerts_of(second)), second.json()["remaining"]) == (1, 0)
    assert second.json()["cursor"] == history.json()["items"][-1]["id"]
    assert alerts_of(demand_alerts(client, actors.sme, demand["id"])) == []


def test_another_organisations_demand_alerts_are_not_found(
    client: TestClient, actors: Actors
) -> None:
    demand = create_demand(client, actors.sme, alert_min_score=0.5)

    assert demand_alerts(client, actors.other_sme, demand["id"]).status_code == 404
    assert demand_alerts(client, actors.tto, demand["id"]).status_code == 403
    assert client.get(f"/v1/demands/{demand['id']}/alerts").status_code == 401


# --- a listing's alerts ----------------------------------------------------------------------


def test_listing_hears_of_new_public_demands_and_never_of_private_ones(
    client: TestClient, actors: Actors, session: Session
) -> None:
    listing = create_listing(client, actors.tto)
    run_alerts(client, session)  # the first run only takes note of what there is
    private = create_demand(client, actors.other_sme, visibility="private")
    public = create_demand(client, actors.sme, visibility="public")

    run_alerts(client, session)
    page = listing_alerts(client, actors.tto, listing["id"], after=0)

    assert alerts_of(page) == [("new_demand", public["id"])]
    assert private["id"] not in {item["demand"]["id"] for item in page.json()["items"]}
    assert page.json()["remaining"] == 0
    item = page.json()["items"][0]
    assert item["demand"]["visibility"] == "public"
    assert item["score"] == match_score(client, actors.sme, public["id"], listing["id"])


def test_demand_made_private_after_its_alert_is_neither_shown_nor_counted(
    client: TestClient, actors: Actors, session: Session
) -> None:
    listing = create_listing(client, actors.tto)
    run_alerts(client, session)
    first = create_demand(client, actors.sme, visibility="public")
    second = create_demand(client, actors.other_sme, visibility="public")
    run_alerts(client, session)
    assert [
        i for _, i in alerts_of(listing_alerts(client, actors.tto, listing["id"], after=0))
    ] == [
        first["id"],
        second["id"],
    ]

    hidden = client.patch(
        f"/v1/demands/{second['id']}",
        json={"visibility": "private"},
        headers=actors.other_sme.headers,
    )
    assert hidden.status_code == 200
    run_alerts(client, session)

    page = listing_alerts(client, actors.tto, listing["id"], limit=1)
    assert alerts_of(page) == [("new_demand", first["id"])]
    assert page.json()["remaining"] == 0
    assert alerts_of(listing_alerts(client, actors.tto, listing["id"])) == []


def test_listing_alerts_are_for_the_listings_holder_only(
    client: TestClient, actors: Actors
) -> None:
    listing = create_listing(client, actors.tto)

    assert listing_alerts(client, actors.other_tto, listing["id"]).status_code == 403
    assert listing_alerts(client, actors.sme, listing["id"]).status_code == 403
    assert listing_alerts(client, actors.tto, 987654321).status_code == 404


# --- order and cursors: ids are random, a feed reads in recording order -----------------------


def demand_with_alerts_over_two_runs(
    client: TestClient, actors: Actors, session: Session
) -> tuple[int, list[int]]:
    """Return a demand with five alerts from two runs, their ids falling as time goes on.

    Ids are random, so nothing may read id order as recording order; reversing them here makes
    a feed that did so read everything backwards.
    """
    demand = create_demand(client, actors.sme, alert_min_score=0.3)
    for batch in (3, 2):
        for _ in range(batch):
            create_listing(client, actors.tto)
        run_alerts(client, session)
    recorded = list(
        session.scalars(
            select(MatchAlert.id)
            .where(MatchAlert.demand_id == demand["id"])
            .order_by(MatchAlert.created_at, MatchAlert.id)
        )
    )
    falling = [MAX_ROW_ID - 10 * n for n in range(len(recorded))]
    for old, new in zip(recorded, falling, strict=True):
        session.execute(update(MatchAlert).where(MatchAlert.id == old).values(id=new))
    session.commit()
    return demand["id"], falling


def page_ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_feed_reads_oldest_first_whatever_the_ids(
    client: TestClient, actors: Actors, session: Session
) -> None:
    demand_id, recorded = demand_with_alerts_over_two_runs(client, actors, session)

    history = demand_alerts(client, actors.sme, demand_id, after=0)

    assert page_ids(history) == recorded
    times = [item["recorded_at"] for item in history.json()["items"]]
    assert times == sorted(times)
    assert len(set(times)) == len(times)


def test_the_marker_pages_through_every_alert_once_in_order(
    client: TestClient, actors: Actors, session: Session
) -> None:
    demand_id, recorded = demand_with_alerts_over_two_runs(client, actors, session)

    pages = [demand_alerts(client, actors.sme, demand_id, limit=2) for _ in range(4)]

    assert [page_ids(p) for p in pages] == [recorded[0:2], recorded[2:4], recorded[4:], []]
    assert [p.json()["remaining"] for p in pages] == [3, 1, 0, 0]
    cursors = [p.json()["cursor"] for p in pages]
    assert cursors == [recorded[1], recorded[3], recorded[4], recorded[4]]


def test_after_pages_through_every_alert_once_in_order_without_moving_the_marker(
    client: TestClient, actors: Actors, session: Session
) -> None:
    demand_id, recorded = demand_with_alerts_over_two_runs(client, actors, session)

    seen: list[int] = []
    cursor = 0
    for _ in range(3):
        page = demand_alerts(client, actors.sme, demand_id, limit=2, after=cursor)
        assert page.json()["marked_seen"] is False
        seen += page_ids(page)
        cursor = page.json()["cursor"]

    assert seen == recorded
    assert (cursor, page.json()["remaining"]) == (recorded[-1], 0)
    assert page_ids(demand_alerts(client, actors.sme, demand_id)) == recorded


def test_reading_moves_the_marker_and_after_rereads_history_from_that_alert(
    client: TestClient, actors: Actors, session: Session
) -> None:
    demand_id, recorded = demand_with_alerts_over_two_runs(client, actors, session)

    first = demand_alerts(client, actors.sme, demand_id, limit=1)
    from_first = demand_alerts(client, actors.sme, demand_id, after=recorded[0])
    unread = demand_alerts(client, actors.sme, demand_id)
    again = demand_alerts(client, actors.sme, demand_id)

    assert (page_ids(first), first.json()["marked_seen"]) == ([recorded[0]], True)
    assert (page_ids(from_first), from_first.json()["marked_seen"]) == (recorded[1:], False)
    assert page_ids(unread) == recorded[1:]
    assert again.json() == {
        "items": [],
        "remaining": 0,
        "cursor": recorded[-1],
        "marked_seen": True,
    }


def test_after_that_is_not_an_alert_of_this_feed_is_refused_alike_in_the_callers_language(
    client: TestClient, actors: Actors, session: Session
) -> None:
    mine = create_demand(client, actors.sme, alert_min_score=0.3)
    theirs = create_demand(client, actors.other_sme, alert_min_score=0.3)
    create_listing(client, actors.tto)
    run_alerts(client, session)
    their_alert = page_ids(demand_alerts(client, actors.other_sme, theirs["id"]))[0]
    missing = next(i for i in range(1, 100) if i != their_alert)

    chinese = {**actors.sme.headers, "Accept-Language": ""}
    answers = [
        client.get(f"/v1/demands/{mine['id']}/alerts", params={"after": a}, headers=h)
        for a in (their_alert, missing)
        for h in (chinese, actors.sme.headers)
    ]

    assert [a.status_code for a in answers] == [422] * 4
    assert answers[0].json() == answers[2].json()
    assert answers[1].json() == answers[3].json()
    assert answers[0].json() == {
        "detail": [
            {
                "msg": "after 不在本提醒列表中：请填写本列表返回过的提醒 id（或 cursor），"
                "或填 0 从头读取",
                "type": "value_error",
                "loc": ["query", "after"],
            }
        ]
    }
    assert answers[1].json()["detail"][0]["msg"] == (
        "after is not an alert of this list: give an alert id (or cursor) this list returned, "
        "or 0 to read from the start"
    )
