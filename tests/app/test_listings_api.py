"""A listing's life over the API: create, read, edit, withdraw.

Rejected input is in `test_listing_validation_api.py`; paging and filters in
`test_listing_filters_api.py`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.app.listing_calls import (
    count_listings,
    create_listing,
    list_listings,
    loosely_spelled,
    read_listing,
)
from tests.factories import Actor, Actors, listing_payload, patent_number

TODAY = date.today()


def remaining_years(expiry: str) -> float:
    return round((date.fromisoformat(expiry) - TODAY).days / 365.25, 2)


def declared(listing: dict[str, Any]) -> dict[str, Any]:
    """Return a listing without the fields the server stamps (id, timestamps)."""
    return {k: v for k, v in listing.items() if k not in {"id", "created_at", "updated_at"}}


def holder(actor: Actor) -> dict[str, Any]:
    org = actor.organisation
    return {"id": org.id, "name": org.name, "kind": org.kind.value, "province": org.province}


# --- create ----------------------------------------------------------------------------------


def test_create_returns_201_with_location_etag_and_the_stored_listing(
    client: TestClient, actors: Actors
) -> None:
    number = patent_number()
    response = client.post(
        "/v1/listings", json=listing_payload(patent_number=number), headers=actors.tto.headers
    )

    assert response.status_code == 201
    body = response.json()
    assert response.headers["Location"] == f"/v1/listings/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    assert declared(body) == {
        "patent_number": number,
        "title": "一种基于深度学习的轴承故障诊断方法",
        "abstract": listing_payload()["abstract"],
        "claims": None,
        "ipc_codes": ["G06N 3/08", "G01M 13/045"],
        "patent_type": "invention",
        "application_date": "2019-03-15",
        "grant_date": "2021-06-01",
        "expiry_date": "2039-03-15",
        "remaining_years": remaining_years("2039-03-15"),
        "legal_status": None,
        "industry_code": "C34",
        "licence": {
            "royalty_type": "percentage",
            "rate_percent": 3.0,
            "fixed_fee_yuan": None,
            "entry_fee_yuan": None,
            "term_years": 3,
        },
        "province": "浙江省",
        "contact": "技术转移中心 王老师",
        "holder": holder(actors.tto),
        "status": "active",
        "version": 1,
    }
    assert datetime.fromisoformat(body["updated_at"]) >= datetime.fromisoformat(body["created_at"])
    assert read_listing(client, body["id"], actors.tto) == body


def test_create_stores_identifiers_in_their_canonical_spelling(
    client: TestClient, actors: Actors
) -> None:
    number = patent_number()
    body = create_listing(
        client,
        actors.tto,
        patent_number=loosely_spelled(number),
        ipc_codes=["g06f16/33", "H04L9/08 (2006.01)"],
        province="广东",
        industry_code="39",
    )

    stored = read_listing(client, body["id"], actors.tto)
    assert {k: stored[k] for k in ("patent_number", "ipc_codes", "province", "industry_code")} == {
        "patent_number": number,
        "ipc_codes": ["G06F 16/33", "H04L 9/08"],
        "province": "广东省",
        "industry_code": "C39",
    }


def test_create_defaults_province_to_the_holder_organisations(
    client: TestClient, actors: Actors
) -> None:
    assert create_listing(client, actors.tto)["province"] == "浙江省"
    assert create_listing(client, actors.other_tto)["province"] == "湖北省"
    assert create_listing(client, actors.other_tto, province="Beijing")["province"] == "北京市"


@pytest.mark.parametrize(
    ("kind", "patent_type", "application_date", "expiry_date"),
    [
        (1, "invention", "2019-03-15", "2039-03-15"),
        (2, "utility_model", "2019-03-15", "2029-03-15"),
        (2, "utility_model", "2020-02-29", "2030-02-28"),
        (3, "design", "2021-06-01", "2036-06-01"),
        (3, "design", "2021-05-31", "2031-05-31"),
    ],
    ids=["invention-20y", "utility-10y", "leap-day", "design-15y-from-2021-06-01", "design-10y"],
)
def test_create_derives_expiry_from_patent_type_and_application_date(
    client: TestClient,
    actors: Actors,
    kind: int,
    patent_type: str,
    application_date: str,
    expiry_date: str,
) -> None:
    body = create_listing(
        client,
        actors.tto,
        patent_number=patent_number(kind=kind),
        patent_type=patent_type,
        application_date=application_date,
        grant_date=None,
    )
    assert (body["patent_type"], body["expiry_date"]) == (patent_type, expiry_date)


def test_create_keeps_an_explicit_expiry_date(client: TestClient, actors: Actors) -> None:
    body = create_listing(client, actors.tto, expiry_date="2035-01-01")
    assert (body["expiry_date"], body["remaining_years"]) == (
        "2035-01-01",
        remaining_years("2035-01-01"),
    )


def test_create_of_a_lapsed_patent_stores_it_as_expired(client: TestClient, actors: Actors) -> None:
    body = create_listing(
        client,
        actors.tto,
        patent_number=patent_number(kind=2),
        patent_type="utility_model",
        application_date="2012-04-01",
        grant_date=None,
    )
    assert (body["status"], body["expiry_date"], body["remaining_years"]) == (
        "expired",
        "2022-04-01",
        0.0,
    )


@pytest.mark.parametrize(
    ("kind", "patent_type"),
    [(1, "invention"), (2, "utility_model"), (3, "design"), (8, "invention"), (9, "utility_model")],
)
def test_create_derives_patent_type_from_the_numbers_type_digit(
    client: TestClient, actors: Actors, kind: int, patent_type: str
) -> None:
    payload = listing_payload(patent_number=patent_number(kind=kind), application_date="2022-01-10")
    del payload["patent_type"], payload["grant_date"]
    response = client.post("/v1/listings", json=payload, headers=actors.tto.headers)
    assert response.status_code == 201, response.json()
    assert response.json()["patent_type"] == patent_type


def test_create_of_an_already_listed_number_is_409_in_any_spelling(
    client: TestClient, actors: Actors
) -> None:
    number = patent_number()
    first = create_listing(client, actors.tto, patent_number=number)

    for actor, whose in ((actors.tto, "your"), (actors.other_tto, "another")):
        response = client.post(
            "/v1/listings",
            json=listing_payload(patent_number=loosely_spelled(number), title="重复提交"),
            headers=actor.headers,
        )
        assert response.status_code == 409
        assert response.json() == {
            "detail": [
                {
                    "msg": f"patent {number} is already listed (listing {first['id']}, "
                    f"held by {whose} organisation)",
                    "type": "conflict",
                    "loc": ["body", "patent_number"],
                }
            ]
        }
    assert count_listings(client, actors.tto) == 1
    assert read_listing(client, first["id"], actors.tto) == first


def test_create_needs_a_tto_key(client: TestClient, actors: Actors) -> None:
    for actor, role in ((actors.sme, "sme"), (actors.operator, "operator")):
        response = client.post("/v1/listings", json=listing_payload(), headers=actor.headers)
        assert response.status_code == 403
        assert response.json()["detail"][0]["msg"] == (
            f"this needs a key with role tto; yours is {role}"
        )
    assert count_listings(client, actors.tto) == 0


def test_text_fields_lose_control_characters_but_keep_paragraphs(
    client: TestClient, actors: Actors
) -> None:
    body = create_listing(
        client,
        actors.tto,
        title="  一种\x00轴承\x1b故障\x7f诊断方法 ",
        abstract="第一段：采集振动信号。\n第二段：\t提取特征。\x0c",
        contact="王老师\r\n0571-12345678",
    )
    stored = read_listing(client, body["id"], actors.tto)
    assert (stored["title"], stored["abstract"], stored["contact"]) == (
        "一种轴承故障诊断方法",
        "第一段：采集振动信号。\n第二段：\t提取特征。",
        "王老师\r\n0571-12345678",
    )


def test_sql_and_spreadsheet_formula_lookalikes_are_stored_verbatim_as_text(
    client: TestClient, actors: Actors
) -> None:
    sql = "'; DROP TABLE listings; --"
    formula = "=cmd|' /C calc'!A0"
    body = create_listing(client, actors.tto, title=sql, abstract=formula, contact=formula)

    stored = read_listing(client, body["id"], actors.tto)
    assert (stored["title"], stored["abstract"], stored["contact"]) == (sql, formula, formula)
    assert list_listings(client, actors.sme)["total"] == 1


# --- read ------------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["tto", "other_tto", "sme", "operator"])
def test_any_role_can_read_a_listing(client: TestClient, actors: Actors, reader: str) -> None:
    created = create_listing(client, actors.tto)
    response = client.get(f"/v1/listings/{created['id']}", headers=getattr(actors, reader).headers)
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert response.json() == created


def test_reading_an_unknown_listing_is_404(client: TestClient, actors: Actors) -> None:
    response = client.get("/v1/listings/987654321", headers=actors.sme.headers)
    assert response.status_code == 404
    assert response.json() == {
        "detail": [
            {
                "msg": "listing 987654321 does not exist",
                "type": "not_found",
                "loc": ["path", "listing_id"],
            }
        ]
    }


# --- edit ------------------------------------------------------------------------------------


def patch(
    client: TestClient,
    listing_id: int,
    actor: Actor,
    body: dict[str, Any],
    if_match: str | None = None,
) -> Response:
    headers = actor.headers | ({"If-Match": if_match} if if_match is not None else {})
    return client.patch(f"/v1/listings/{listing_id}", json=body, headers=headers)


def test_owner_edit_changes_fields_and_bumps_the_version(
    client: TestClient, actors: Actors
) -> None:
    before = create_listing(client, actors.tto)
    change = {
        "title": "一种改进的轴承故障诊断方法",
        "licence": {"royalty_type": "fixed", "fixed_fee_yuan": 80000},
        "ipc_codes": ["g06n3/08"],
        "province": "Guangdong",
        "industry_code": "35",
    }

    response = patch(client, before["id"], actors.tto, change)

    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    after = response.json()
    assert declared(after) == declared(before) | {
        "title": "一种改进的轴承故障诊断方法",
        "licence": {
            "royalty_type": "fixed",
            "rate_percent": None,
            "fixed_fee_yuan": 80000.0,
            "entry_fee_yuan": None,
            "term_years": None,
        },
        "ipc_codes": ["G06N 3/08"],
        "province": "广东省",
        "industry_code": "C35",
        "version": 2,
    }
    assert after["created_at"] == before["created_at"]
    assert datetime.fromisoformat(after["updated_at"]) > datetime.fromisoformat(
        before["updated_at"]
    )
    assert read_listing(client, before["id"], actors.sme) == after


def test_edit_rechecks_the_whole_listing_and_keeps_it_on_failure(
    client: TestClient, actors: Actors
) -> None:
    before = create_listing(
        client, actors.tto, application_date="2019-03-15", grant_date="2021-06-01"
    )

    cases = [
        (
            {"grant_date": "2019-01-01"},
            "grant_date",
            "grant_date 2019-01-01 is before application_date 2019-03-15",
        ),
        (
            {"application_date": "2021-07-01"},
            "grant_date",
            "grant_date 2021-06-01 is before application_date 2021-07-01",
        ),
        (
            {"licence": {"royalty_type": "free", "rate_percent": 3}},
            "licence.rate_percent",
            "rate_percent is not used when royalty_type is 'free'",
        ),
        (
            {"industry_code": "98"},
            "industry_code",
            "'98' is not a GB/T 4754-2017 division (01 to 97)",
        ),
        ({"title": None}, "title", "Input should be a valid string"),
        ({"title": " \x00"}, "title", "String should have at least 1 character"),
        ({"title": "题" * 501}, "title", "String should have at most 500 characters"),
    ]
    for change, where, msg in cases:
        response = patch(client, before["id"], actors.tto, change)
        assert response.status_code == 422, change
        [problem] = response.json()["detail"]
        assert (problem["loc"], problem["msg"]) == (["body", *where.split(".")], msg)

    assert read_listing(client, before["id"], actors.tto) == before


def test_edit_cannot_change_the_patent_number(client: TestClient, actors: Actors) -> None:
    before = create_listing(client, actors.tto)
    response = patch(client, before["id"], actors.tto, {"patent_number": patent_number()})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "msg": "Extra inputs are not permitted",
                "type": "extra_forbidden",
                "loc": ["body", "patent_number"],
            }
        ]
    }
    assert read_listing(client, before["id"], actors.tto) == before


def test_edit_that_changes_nothing_keeps_the_version(client: TestClient, actors: Actors) -> None:
    before = create_listing(
        client,
        actors.tto,
        licence={
            "royalty_type": "entry_plus_percentage",
            "entry_fee_yuan": 12345.678,
            "rate_percent": 2.3456,
        },
    )
    same_values = {
        "title": before["title"],
        "province": "浙江",
        "industry_code": "34",
        "ipc_codes": ["G06N3/08", "g01m 13/045"],
        "licence": before["licence"],
    }
    for change in ({}, same_values):
        response = patch(client, before["id"], actors.tto, change)
        assert response.status_code == 200
        assert response.headers["ETag"] == '"1"'
        assert response.json() == before


def test_fees_and_rates_are_kept_to_the_precision_they_are_stored_with(
    client: TestClient, actors: Actors
) -> None:
    body = create_listing(
        client,
        actors.tto,
        licence={
            "royalty_type": "entry_plus_percentage",
            "entry_fee_yuan": 1.005,
            "rate_percent": 2.3455,
        },
    )
    assert body["licence"] == {
        "royalty_type": "entry_plus_percentage",
        "rate_percent": 2.346,
        "fixed_fee_yuan": None,
        "entry_fee_yuan": 1.01,
        "term_years": None,
    }
    assert read_listing(client, body["id"], actors.tto) == body


def test_edit_with_a_stale_if_match_is_409_and_changes_nothing(
    client: TestClient, actors: Actors
) -> None:
    listing_id = create_listing(client, actors.tto)["id"]
    assert patch(client, listing_id, actors.tto, {"title": "第二版"}).status_code == 200
    current = read_listing(client, listing_id, actors.tto)

    response = patch(client, listing_id, actors.tto, {"title": "基于旧版本的修改"}, if_match='"1"')

    assert response.status_code == 409
    assert response.json() == {
        "detail": [
            {
                "msg": f"listing {listing_id} is at version 2, not 1: "
                "reload it and apply your edit again",
                "type": "conflict",
                "loc": ["header", "If-Match"],
            }
        ]
    }
    assert read_listing(client, listing_id, actors.tto) == current


@pytest.mark.parametrize("etag", ['"1"', 'W/"1"', "1"])
def test_edit_with_the_current_if_match_succeeds(
    client: TestClient, actors: Actors, etag: str
) -> None:
    listing_id = create_listing(client, actors.tto)["id"]
    response = patch(client, listing_id, actors.tto, {"title": "第二版"}, if_match=etag)
    assert response.status_code == 200
    assert (response.json()["version"], response.headers["ETag"]) == (2, '"2"')


def test_edit_with_a_malformed_if_match_is_422(client: TestClient, actors: Actors) -> None:
    listing_id = create_listing(client, actors.tto)["id"]
    response = patch(client, listing_id, actors.tto, {"title": "第二版"}, if_match="*x")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "If-Match"]


def test_changing_the_application_date_rederives_the_expiry(
    client: TestClient, actors: Actors
) -> None:
    created = create_listing(client, actors.tto, application_date="2019-03-15", grant_date=None)
    assert created["expiry_date"] == "2039-03-15"
    body = patch(client, created["id"], actors.tto, {"application_date": "2020-05-20"}).json()
    assert (body["expiry_date"], body["remaining_years"], body["version"]) == (
        "2040-05-20",
        remaining_years("2040-05-20"),
        2,
    )


def test_edit_keeps_an_explicit_expiry_given_with_it(client: TestClient, actors: Actors) -> None:
    listing_id = create_listing(client, actors.tto, application_date="2019-03-15")["id"]
    body = patch(
        client,
        listing_id,
        actors.tto,
        {"application_date": "2019-04-01", "expiry_date": "2030-01-01"},
    ).json()
    assert (body["application_date"], body["expiry_date"]) == ("2019-04-01", "2030-01-01")


@pytest.mark.parametrize(
    ("editor", "msg"),
    [
        ("other_tto", "listing {id} belongs to another organisation"),
        ("sme", "this needs a key with role tto; yours is sme"),
        ("operator", "this needs a key with role tto; yours is operator"),
    ],
)
def test_only_the_holder_may_edit(
    client: TestClient, actors: Actors, editor: str, msg: str
) -> None:
    before = create_listing(client, actors.tto)
    response = patch(client, before["id"], getattr(actors, editor), {"title": "被篡改"})
    assert response.status_code == 403
    assert response.json()["detail"][0]["msg"] == msg.format(id=before["id"])
    assert read_listing(client, before["id"], actors.tto) == before


def test_editing_an_unknown_listing_is_404(client: TestClient, actors: Actors) -> None:
    response = patch(client, 987654321, actors.tto, {"title": "x"})
    assert response.status_code == 404


# --- withdraw --------------------------------------------------------------------------------


def test_holder_withdraws_a_listing_which_stays_readable_but_leaves_the_catalogue(
    client: TestClient, actors: Actors
) -> None:
    before = create_listing(client, actors.tto)
    kept = create_listing(client, actors.tto)

    response = client.delete(f"/v1/listings/{before['id']}", headers=actors.tto.headers)

    assert response.status_code == 200
    withdrawn = response.json()
    assert declared(withdrawn) == declared(before) | {"status": "withdrawn", "version": 2}
    assert read_listing(client, before["id"], actors.sme) == withdrawn
    assert [item["id"] for item in list_listings(client, actors.sme)["items"]] == [kept["id"]]
    assert [
        item["id"] for item in list_listings(client, actors.sme, status="withdrawn")["items"]
    ] == [before["id"]]


def test_withdrawing_twice_changes_nothing_more(client: TestClient, actors: Actors) -> None:
    listing_id = create_listing(client, actors.tto)["id"]
    first = client.delete(f"/v1/listings/{listing_id}", headers=actors.tto.headers).json()
    second = client.delete(f"/v1/listings/{listing_id}", headers=actors.tto.headers)
    assert (second.status_code, second.json()) == (200, first)


@pytest.mark.parametrize(
    ("remover", "msg"),
    [
        ("other_tto", "listing {id} belongs to another organisation"),
        ("sme", "this needs a key with role tto; yours is sme"),
    ],
)
def test_only_the_holder_may_withdraw(
    client: TestClient, actors: Actors, remover: str, msg: str
) -> None:
    before = create_listing(client, actors.tto)
    response = client.delete(
        f"/v1/listings/{before['id']}", headers=getattr(actors, remover).headers
    )
    assert response.status_code == 403
    assert response.json()["detail"][0]["msg"] == msg.format(id=before["id"])
    assert read_listing(client, before["id"], actors.tto) == before


def test_withdrawing_an_unknown_listing_is_404(client: TestClient, actors: Actors) -> None:
    response = client.delete("/v1/listings/987654321", headers=actors.tto.headers)
    assert response.status_code == 404


def test_publishing_a_withdrawn_patent_again_offers_it_again_under_its_old_id(
    client: TestClient, actors: Actors
) -> None:
    listing = create_listing(client, actors.tto)
    client.delete(f"/v1/listings/{listing['id']}", headers=actors.tto.headers)
    again = listing_payload(
        patent_number=listing["patent_number"],
        licence={"royalty_type": "fixed", "fixed_fee_yuan": 80000},
    )
    response = client.post("/v1/listings", json=again, headers=actors.tto.headers)
    assert response.status_code == 201
    body = response.json()
    assert (body["id"], body["status"], body["version"]) == (listing["id"], "active", 3)
    assert body["licence"]["fixed_fee_yuan"] == 80000


def test_another_organisation_cannot_take_over_a_withdrawn_patent(
    client: TestClient, actors: Actors
) -> None:
    listing = create_listing(client, actors.tto)
    client.delete(f"/v1/listings/{listing['id']}", headers=actors.tto.headers)
    again = listing_payload(patent_number=listing["patent_number"])
    response = client.post("/v1/listings", json=again, headers=actors.other_tto.headers)
    assert response.status_code == 409
    assert read_listing(client, listing["id"], actors.tto)["status"] == "withdrawn"
