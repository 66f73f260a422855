"""Listing the catalogue over the API: paging, every filter, and invalid queries."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.app.listing_calls import create_listing, list_listings, loosely_spelled, years_ago
from tests.factories import Actor, Actors, patent_number

# --- paging ----------------------------------------------------------------------------------


def test_list_pages_newest_first_with_an_exact_total(client: TestClient, actors: Actors) -> None:
    ids = [create_listing(client, actors.tto)["id"] for _ in range(25)]

    pages = [list_listings(client, actors.sme, limit=10, offset=o) for o in (0, 10, 20, 30)]

    assert [(p["total"], p["limit"], p["offset"], len(p["items"])) for p in pages] == [
        (25, 10, 0, 10),
        (25, 10, 10, 10),
        (25, 10, 20, 5),
        (25, 10, 30, 0),
    ]
    assert [item["id"] for p in pages for item in p["items"]] == ids[::-1]
    default = list_listings(client, actors.sme)
    assert (default["limit"], default["offset"], len(default["items"])) == (20, 0, 20)


def test_filtered_list_fills_whole_pages_and_counts_every_match(
    client: TestClient, actors: Actors
) -> None:
    in_guangdong = []
    for i in range(25):
        listing = create_listing(client, actors.tto, province="广东" if i % 2 else "江苏")
        if i % 2:
            in_guangdong.append(listing["id"])

    first = list_listings(client, actors.sme, province="广东省", limit=10)
    second = list_listings(client, actors.sme, province="广东省", limit=10, offset=10)

    assert [(p["total"], len(p["items"])) for p in (first, second)] == [(12, 10), (12, 2)]
    assert [item["id"] for item in first["items"] + second["items"]] == in_guangdong[::-1]


def test_an_edited_listing_moves_to_the_top_of_the_list(client: TestClient, actors: Actors) -> None:
    oldest, newer = (create_listing(client, actors.tto)["id"] for _ in range(2))
    response = client.patch(
        f"/v1/listings/{oldest}", json={"title": "更新后的名称"}, headers=actors.tto.headers
    )
    assert response.status_code == 200
    assert [item["id"] for item in list_listings(client, actors.sme)["items"]] == [oldest, newer]


# --- invalid queries -------------------------------------------------------------------------

INVALID_QUERIES: dict[str, tuple[dict[str, Any], str, str]] = {
    "limit-above-100": (
        {"limit": 101},
        "less_than_equal",
        "Input should be less than or equal to 100",
    ),
    "limit-zero": (
        {"limit": 0},
        "greater_than_equal",
        "Input should be greater than or equal to 1",
    ),
    "offset-negative": (
        {"offset": -1},
        "greater_than_equal",
        "Input should be greater than or equal to 0",
    ),
    "province": (
        {"province": "Atlantis"},
        "value_error",
        "'Atlantis' is not a Chinese provincial-level division (e.g. 广东省, 广东 or Guangdong)",
    ),
    "ipc": (
        {"ipc": "XYZ"},
        "value_error",
        "'XYZ' is not an IPC prefix like G, G06, G06F, G06F 16 or G06F 16/33",
    ),
    "ipc-ambiguous-subgroup": (
        {"ipc": "G06F 1/1"},
        "value_error",
        "subgroup '1' in 'G06F 1/1' is ambiguous: IPC subgroups have at least two digits "
        "(01 or 10?)",
    ),
    "industry_code": (
        {"industry_code": "98"},
        "value_error",
        "'98' is not a GB/T 4754-2017 division (01 to 97)",
    ),
    "patent_number": (
        {"patent_number": "123"},
        "value_error",
        "a CN application number has 12 digits and a check digit (e.g. 201710601862.3) or, "
        "before 2004, 8 digits and a check digit; got '123'",
    ),
    "patent_type": (
        {"patent_type": "software"},
        "enum",
        "Input should be 'invention', 'utility_model' or 'design'",
    ),
    "status": (
        {"status": "deleted"},
        "literal_error",
        "Input should be 'active', 'withdrawn', 'expired' or 'any'",
    ),
    "max_rate_percent": (
        {"max_rate_percent": 0},
        "greater_than",
        "Input should be greater than 0",
    ),
}


@pytest.mark.parametrize(("params", "type_", "msg"), INVALID_QUERIES.values(), ids=INVALID_QUERIES)
def test_list_rejects_an_invalid_query_naming_the_parameter(
    client: TestClient, actors: Actors, params: dict[str, Any], type_: str, msg: str
) -> None:
    response = client.get("/v1/listings", params=params, headers=actors.sme.headers)
    assert response.status_code == 422
    [name] = params
    assert response.json() == {"detail": [{"msg": msg, "type": type_, "loc": ["query", name]}]}


def test_list_reports_every_invalid_filter_at_once(client: TestClient, actors: Actors) -> None:
    response = client.get(
        "/v1/listings", params={"province": "Atlantis", "ipc": "XYZ"}, headers=actors.sme.headers
    )
    assert response.status_code == 422
    assert [p["loc"] for p in response.json()["detail"]] == [
        ["query", "ipc"],
        ["query", "province"],
    ]


# --- filters ---------------------------------------------------------------------------------

ALL = {"search", "hinge", "imaging", "crypto", "fabric", "sensor"}


@pytest.fixture()
def catalogue(client: TestClient, actors: Actors) -> dict[str, int]:
    """Six listings that differ in every filtered field; returns their ids by name.

    Holders: `tto` (浙江省) holds search, hinge, fabric, sensor; `other_tto` (湖北省) the rest.
    """
    specs: dict[str, tuple[Actor, dict[str, Any]]] = {
        "search": (
            actors.tto,
            {
                "ipc_codes": ["G06F 16/33"],
                "province": "广东",
                "industry_code": "C39",
                "licence": {"royalty_type": "percentage", "rate_percent": 3.0},
                "application_date": years_ago(2).isoformat(),  # ~18 years left
            },
        ),
        "hinge": (
            actors.tto,
            {
                "patent_number": patent_number(kind=2),
                "patent_type": "utility_model",
                "ipc_codes": ["G06F 1/16"],
                "industry_code": "C34",
                "licence": {"royalty_type": "fixed", "fixed_fee_yuan": 50000},
                "application_date": years_ago(8.5).isoformat(),  # ~1.5 years left
            },
        ),
        "imaging": (
            actors.other_tto,
            {
                "ipc_codes": ["A61B 5/00", "G06F 16/332"],
                "industry_code": "C",
                "licence": {"royalty_type": "percentage", "rate_percent": 8.0},
                "application_date": years_ago(5).isoformat(),  # ~15 years left
            },
        ),
        "crypto": (
            actors.other_tto,
            {
                "ipc_codes": ["H04L 9/08", "G06N 3/08"],
                "industry_code": "I65",
                "licence": {"royalty_type": "free"},
                "application_date": years_ago(12).isoformat(),  # ~8 years left
            },
        ),
        "fabric": (
            actors.tto,
            {
                "patent_number": patent_number(kind=3),
                "patent_type": "design",
                "ipc_codes": ["D06M 15/00"],
                "province": "Guangdong",
                "industry_code": "C17",
                "licence": {
                    "royalty_type": "entry_plus_percentage",
                    "entry_fee_yuan": 10000,
                    "rate_percent": 5.0,
                },
                "application_date": years_ago(1).isoformat(),  # ~14 years left
            },
        ),
        "sensor": (
            actors.tto,
            {
                "ipc_codes": ["G01M 13/045"],
                "industry_code": None,
                "licence": {"royalty_type": "negotiable"},
                "application_date": years_ago(19.5).isoformat(),  # ~0.5 years left
            },
        ),
    }
    return {
        name: create_listing(client, actor, grant_date=None, **overrides)["id"]
        for name, (actor, overrides) in specs.items()
    }


def found(client: TestClient, actors: Actors, catalogue: dict[str, int], **params: Any) -> set[str]:
    """Return the names of the catalogue listings that pass the filters in `params`."""
    body = list_listings(client, actors.sme, limit=100, **params)
    ids = {item["id"] for item in body["items"]}
    assert body["total"] == len(ids)
    return {name for name, listing_id in catalogue.items() if listing_id in ids}


def found_for_each(
    client: TestClient, actors: Actors, catalogue: dict[str, int], param: str, values: list[Any]
) -> dict[Any, set[str]]:
    """Return, for each value of one query parameter, the names of the listings it passes."""
    return {value: found(client, actors, catalogue, **{param: value}) for value in values}


def test_ipc_filter_matches_a_whole_level_of_any_of_a_listings_codes(
    client: TestClient, actors: Actors, catalogue: dict[str, int]
) -> None:
    expected = {
        "G": {"search", "hinge", "imaging", "crypto", "sensor"},
        "G06": {"search", "hinge", "imaging", "crypto"},
        "G06F": {"search", "hinge", "imaging"},
        "g06f16": {"search", "imaging"},
        "G06F 1": {"hinge"},  # not G06F 16/33: group 1 is not a prefix of group 16
        "G06F 16/33": {"search"},  # not G06F 16/332: a full code matches only itself
        "Ｇ06Ｆ16/332": {"imaging"},
        "A61B": {"imaging"},
        "H04L 9": {"crypto"},
        "G06F 16/30": set(),
        "F": set(),
    }
    assert found_for_each(client, actors, catalogue, "ipc", list(expected)) == expected


def test_patent_type_filter(client: TestClient, actors: Actors, catalogue: dict[str, int]) -> None:
    expected = {
        "invention": {"search", "imaging", "crypto", "sensor"},
        "utility_model": {"hinge"},
        "design": {"fabric"},
    }
    assert found_for_each(client, actors, catalogue, "patent_type", list(expected)) == expected


def test_province_filter_accepts_any_spelling(
    client: TestClient, actors: Actors, catalogue: dict[str, int]
) -> None:
    expected = {
        "广东省": {"search", "fabric"},
        "广东": {"search", "fabric"},
        "Guangdong": {"search", "fabric"},
        "guangdong province": {"search", "fabric"},
        "湖北": {"imaging", "crypto"},
        "Zhejiang": {"hinge", "sensor"},
        "西藏": set(),
    }
    assert found_for_each(client, actors, catalogue, "province", list(expected)) == expected


def test_industry_filter_by_section_includes_its_divisions_and_by_division_is_exact(
    client: TestClient, actors: Actors, catalogue: dict[str, int]
) -> None:
    expected = {
        "C": {"search", "hinge", "imaging", "fabric"},
        "c": {"search", "hinge", "imaging", "fabric"},
        "C34": {"hinge"},
        "34": {"hinge"},
        "39": {"search"},
        "I": {"crypto"},
        "A": set(),
    }
    assert found_for_each(client, actors, catalogue, "industry_code", list(expected)) == expected


def test_holder_filter(client: TestClient, actors: Actors, catalogue: dict[str, int]) -> None:
    ids = [actor.organisation.id for actor in (actors.tto, actors.other_tto, actors.sme)]
    assert found_for_each(client, actors, catalogue, "holder_id", ids) == {
        actors.tto.organisation.id: {"search", "hinge", "fabric", "sensor"},
        actors.other_tto.organisation.id: {"imaging", "crypto"},
        actors.sme.organisation.id: set(),
    }


def test_rate_cap_excludes_only_declared_percentages_above_it(
    client: TestClient, actors: Actors, catalogue: dict[str, int]
) -> None:
    # hinge is fixed-fee, crypto free, sensor negotiable: no rate, so no cap excludes them.
    expected = {
        100: ALL,
        8: ALL,
        5: ALL - {"imaging"},
        4.99: ALL - {"imaging", "fabric"},
        2.5: {"hinge", "crypto", "sensor"},
    }
    assert found_for_each(client, actors, catalogue, "max_rate_percent", list(expected)) == (
        expected
    )


def test_min_remaining_years_filter(
    client: TestClient, actors: Actors, catalogue: dict[str, int]
) -> None:
    expected = {
        0: ALL,
        1: ALL - {"sensor"},
        5: {"search", "imaging", "crypto", "fabric"},
        10: {"search", "imaging", "fabric"},
        17: {"search"},
        19: set(),
    }
    assert found_for_each(client, actors, catalogue, "min_remaining_years", list(expected)) == (
        expected
    )


def test_patent_number_filter_accepts_any_spelling(
    client: TestClient, actors: Actors, catalogue: dict[str, int]
) -> None:
    response = client.get(f"/v1/listings/{catalogue['hinge']}", headers=actors.sme.headers)
    number = response.json()["patent_number"]
    digits, check = number.split(".")
    spellings = [number, loosely_spelled(number), f"cn{digits}{check.lower()}", patent_number()]
    assert found_for_each(client, actors, catalogue, "patent_number", spellings) == {
        number: {"hinge"},
        loosely_spelled(number): {"hinge"},
        f"cn{digits}{check.lower()}": {"hinge"},
        spellings[-1]: set(),
    }


def test_filters_combine(client: TestClient, actors: Actors, catalogue: dict[str, int]) -> None:
    other_holder = actors.other_tto.organisation.id
    assert found(
        client, actors, catalogue, ipc="G06F", province="广东", patent_type="invention"
    ) == {"search"}
    assert found(client, actors, catalogue, ipc="G06F", holder_id=other_holder) == {"imaging"}
    assert found(client, actors, catalogue, industry_code="C", max_rate_percent=4) == {
        "search",
        "hinge",
    }


def test_status_filter_shows_only_active_listings_by_default(
    client: TestClient, actors: Actors
) -> None:
    active = create_listing(client, actors.tto)["id"]
    withdrawn = create_listing(client, actors.tto)["id"]
    assert client.delete(f"/v1/listings/{withdrawn}", headers=actors.tto.headers).is_success
    expired = create_listing(
        client,
        actors.tto,
        patent_number=patent_number(kind=2),
        patent_type="utility_model",
        application_date="2012-04-01",
        grant_date=None,
    )["id"]

    def ids(**params: Any) -> set[int]:
        return {item["id"] for item in list_listings(client, actors.sme, **params)["items"]}

    assert [ids(), ids(status="active"), ids(status="withdrawn"), ids(status="expired")] == [
        {active},
        {active},
        {withdrawn},
        {expired},
    ]
    assert ids(status="any") == {active, withdrawn, expired}
