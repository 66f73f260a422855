"""Listing input the API rejects: every problem named by its field, and nothing written."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.validation.patent_number import check_digit
from tests.app.listing_calls import count_listings, create_listing
from tests.factories import Actors, listing_payload, patent_number

TODAY = date.today()


def test_create_rejects_patent_type_that_disagrees_with_the_number(
    client: TestClient, actors: Actors
) -> None:
    number = patent_number(kind=2)
    response = client.post(
        "/v1/listings",
        json=listing_payload(patent_number=number, patent_type="invention"),
        headers=actors.tto.headers,
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "msg": f"patent_type 'invention' disagrees with patent number {number}, "
                "whose type digit means 'utility_model'",
                "type": "value_error",
                "loc": ["body", "patent_type"],
            }
        ]
    }
    assert count_listings(client, actors.tto) == 0


def test_create_rejects_a_wrong_check_digit_and_writes_nothing(
    client: TestClient, actors: Actors
) -> None:
    digits = patent_number().split(".")[0]
    right = check_digit(digits)
    wrong = "X" if right == "0" else "0"
    response = client.post(
        "/v1/listings",
        json=listing_payload(patent_number=f"ZL{digits}.{wrong}"),
        headers=actors.tto.headers,
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "msg": f"check digit is {wrong} but should be {right} for {digits}",
                "type": "value_error",
                "loc": ["body", "patent_number"],
            }
        ]
    }
    assert count_listings(client, actors.tto) == 0


SUBCLASS_ONLY = "'G06F' is an IPC subclass; a listing needs the group too, like G06F 16/33"
EMPTY = "String should have at least 1 character"
TOMORROW = (TODAY + timedelta(days=1)).isoformat()

# case: (fields replaced in a valid payload, location of the problem, message, error type);
# an empty type stands for "value_error", which every check of the project's own raises.
INVALID_LISTINGS: dict[str, tuple[dict[str, Any], str, str, str]] = {
    "ipc-subclass-only": ({"ipc_codes": ["G06F 16/33", "G06F"]}, "ipc_codes", SUBCLASS_ONLY, ""),
    "ipc-junk": (
        {"ipc_codes": ["XYZ 1/2"]},
        "ipc_codes",
        "'XYZ 1/2' is not an IPC code like G06F 16/33",
        "",
    ),
    "ipc-none": ({"ipc_codes": []}, "ipc_codes", "at least one IPC code is required", ""),
    "industry-unknown-division": (
        {"industry_code": "98"},
        "industry_code",
        "'98' is not a GB/T 4754-2017 division (01 to 97)",
        "",
    ),
    "industry-unknown-section": (
        {"industry_code": "Z"},
        "industry_code",
        "'Z' is not a GB/T 4754-2017 section (A to T)",
        "",
    ),
    "industry-wrong-section": (
        {"industry_code": "A39"},
        "industry_code",
        "division 39 belongs to section C, not A; use C39 instead of 'A39'",
        "",
    ),
    "province-unknown": (
        {"province": "Atlantis"},
        "province",
        "'Atlantis' is not a Chinese provincial-level division (e.g. 广东省, 广东 or Guangdong)",
        "",
    ),
    "grant-before-application": (
        {"grant_date": "2019-03-14"},
        "grant_date",
        "grant_date 2019-03-14 is before application_date 2019-03-15",
        "",
    ),
    "expiry-not-after-application": (
        {"expiry_date": "2019-03-15"},
        "expiry_date",
        "expiry_date 2019-03-15 is not after application_date 2019-03-15",
        "",
    ),
    "application-in-future": (
        {"application_date": TOMORROW, "grant_date": None},
        "application_date",
        "application_date is in the future",
        "",
    ),
    "rate-above-100": (
        {"licence": {"royalty_type": "percentage", "rate_percent": 100.5}},
        "licence.rate_percent",
        "Input should be less than or equal to 100",
        "less_than_equal",
    ),
    "fixed-without-fee": (
        {"licence": {"royalty_type": "fixed"}},
        "licence.fixed_fee_yuan",
        "fixed_fee_yuan is required when royalty_type is 'fixed'",
        "",
    ),
    "percentage-with-fixed-fee": (
        {"licence": {"royalty_type": "percentage", "rate_percent": 3, "fixed_fee_yuan": 1e4}},
        "licence.fixed_fee_yuan",
        "fixed_fee_yuan is not used when royalty_type is 'percentage'",
        "",
    ),
    "free-with-rate": (
        {"licence": {"royalty_type": "free", "rate_percent": 1}},
        "licence.rate_percent",
        "rate_percent is not used when royalty_type is 'free'",
        "",
    ),
    "entry-plus-percentage-without-entry-fee": (
        {"licence": {"royalty_type": "entry_plus_percentage", "rate_percent": 2}},
        "licence.entry_fee_yuan",
        "entry_fee_yuan is required when royalty_type is 'entry_plus_percentage'",
        "",
    ),
    "negative-fee": (
        {"licence": {"royalty_type": "fixed", "fixed_fee_yuan": -1}},
        "licence.fixed_fee_yuan",
        "Input should be greater than or equal to 0",
        "greater_than_equal",
    ),
    "unknown-field": (
        {"owner": "测试大学"},
        "owner",
        "Extra inputs are not permitted",
        "extra_forbidden",
    ),
    "title-too-long": (
        {"title": "题" * 501},
        "title",
        "String should have at most 500 characters",
        "string_too_long",
    ),
    "title-empty": ({"title": ""}, "title", EMPTY, "string_too_short"),
    "title-only-control-characters": ({"title": " \x00\x1b "}, "title", EMPTY, "string_too_short"),
}


@pytest.mark.parametrize(
    ("overrides", "where", "msg", "type_"), INVALID_LISTINGS.values(), ids=INVALID_LISTINGS
)
def test_create_rejects_invalid_listing_naming_the_field_and_writes_nothing(
    client: TestClient,
    actors: Actors,
    overrides: dict[str, Any],
    where: str,
    msg: str,
    type_: str,
) -> None:
    create_listing(client, actors.tto)

    response = client.post(
        "/v1/listings", json=listing_payload(**overrides), headers=actors.tto.headers
    )

    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"msg": msg, "type": type_ or "value_error", "loc": ["body", *where.split(".")]}]
    }
    assert count_listings(client, actors.tto) == 1


def test_create_reports_every_invalid_field_at_once(client: TestClient, actors: Actors) -> None:
    response = client.post(
        "/v1/listings",
        json=listing_payload(title="", ipc_codes=["G06F"]),
        headers=actors.tto.headers,
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {"msg": EMPTY, "type": "string_too_short", "loc": ["body", "title"]},
            {"msg": SUBCLASS_ONLY, "type": "value_error", "loc": ["body", "ipc_codes"]},
        ]
    }


def test_create_rejects_a_missing_title(client: TestClient, actors: Actors) -> None:
    payload = listing_payload()
    del payload["title"]
    response = client.post("/v1/listings", json=payload, headers=actors.tto.headers)
    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"msg": "Field required", "type": "missing", "loc": ["body", "title"]}]
    }
