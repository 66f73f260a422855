"""Matching over the API: a demand's patents, ad-hoc search, a patent's demands, feedback,
embedding each text once, and staying consistent with the database (rule 5)."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.main import create_app
from app.models import Listing, Organisation
from app.schemas import ListingCreate
from app.search import embeddings, snapshots
from app.search.engine import SearchEngine
from app.services.listings import service as listing_service
from matching.embedder import Embedder, HashingEmbedder, Vectors
from matching.text import listing_text, sentences
from tests.app.import_files import import_report, listing_by_number, to_csv, valid_row
from tests.app.listing_calls import create_listing, years_ago
from tests.factories import Actor, Actors, listing_payload, patent_number

UNKNOWN_ID = 987654321

PLASTIC: dict[str, Any] = {
    "title": "一种可降解包装薄膜及其制备方法",
    "abstract": "本发明公开了一种可降解包装薄膜，以聚乳酸为基体并加入增韧剂，兼顾强度与降解性能。"
    "该薄膜在堆肥条件下六个月内完全降解，适用于食品包装。",
    "ipc_codes": ["C08L 67/04"],
    "industry_code": "C29",
}
GAS: dict[str, Any] = {
    "title": "一种高灵敏度气体传感器",
    "abstract": "本发明公开了一种基于金属氧化物半导体的气体传感器，对甲醛和一氧化碳具有高灵敏度与"
    "快速响应。传感器功耗低，适用于室内空气质量监测。",
    "ipc_codes": ["G01N 27/12"],
    "industry_code": "C40",
}

BEARING_NEED: dict[str, Any] = {
    "title": "数控机床主轴轴承早期故障预警",
    "description": "我司生产精密数控机床，希望引进基于振动信号的主轴轴承故障诊断技术，"
    "实现早期预警，降低停机损失。",
    "industry_code": "C34",
}
GAS_NEED: dict[str, Any] = {
    "title": "室内甲醛气体传感器",
    "description": "我司生产空气净化器，需要低功耗、高灵敏度的甲醛气体传感器技术。",
    "industry_code": "C40",
}


# --- calls -----------------------------------------------------------------------------------


def create_demand(client: TestClient, actor: Actor, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/demands", json=BEARING_NEED | fields, headers=actor.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def matches(client: TestClient, actor: Actor, demand_id: int, **params: Any) -> dict[str, Any]:
    response = client.get(f"/v1/demands/{demand_id}/matches", params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def matched_ids(page: dict[str, Any]) -> list[int]:
    return [item["listing"]["id"] for item in page["items"]]


def search(client: TestClient, actor: Actor, **body: Any) -> httpx.Response:
    return client.post("/v1/search", json=body, headers=actor.headers)


def listing_matches(
    client: TestClient, actor: Actor, listing_id: int, **params: Any
) -> httpx.Response:
    return client.get(f"/v1/listings/{listing_id}/matches", params=params, headers=actor.headers)


def feedback(client: TestClient, actor: Actor, **body: Any) -> httpx.Response:
    return client.post("/v1/feedback", json=body, headers=actor.headers)


def error_locs(response: httpx.Response, status: int) -> list[list[Any]]:
    assert response.status_code == status, response.text
    return [problem["loc"] for problem in response.json()["detail"]]


def engine_of(client: TestClient) -> SearchEngine:
    engine: SearchEngine = client.app.state.engine  # type: ignore[attr-defined]
    return engine


@dataclass
class Topics:
    bearing: dict[str, Any]
    plastic: dict[str, Any]
    gas: dict[str, Any]


@pytest.fixture()
def topics(client: TestClient, actors: Actors) -> Topics:
    return Topics(
        bearing=create_listing(client, actors.tto),
        plastic=create_listing(client, actors.tto, **PLASTIC),
        gas=create_listing(client, actors.other_tto, **GAS),
    )


# --- a demand's matches ----------------------------------------------------------------------


def test_demand_matches_rank_the_on_topic_listing_first_and_explain_it(
    client: TestClient, actors: Actors, topics: Topics
) -> None:
    demand = create_demand(client, actors.sme)

    page = matches(client, actors.sme, demand["id"])

    assert matched_ids(page)[0] == topics.bearing["id"]
    assert sorted(matched_ids(page)) == sorted(
        [topics.bearing["id"], topics.plastic["id"], topics.gas["id"]]
    )
    assert (page["total"], page["limit"], page["offset"]) == (3, 10, 0)
    assert page["index_version"].startswith("database; caught up to ")
    first = page["items"][0]
    assert set(first) == {"listing", "score", "components", "explanation", "feedback", "royalty"}
    assert (
        first["listing"]
        == client.get(f"/v1/listings/{topics.bearing['id']}", headers=actors.sme.headers).json()
    )
    assert first["feedback"] is None
    assert set(first["components"]) == {"semantic", "lexical", "classification"}
    assert first["components"]["semantic"] > page["items"][1]["components"]["semantic"]
    assert first["components"]["lexical"] > 0
    assert first["score"] == max(item["score"] for item in page["items"])
    why = first["explanation"]
    assert {"轴承", "故障诊断", "振动"} <= set(why["terms_found"])
    listing = topics.bearing
    assert why["best_sentence"] in sentences(listing_text(listing["title"], listing["abstract"]))
    assert "轴承" in why["best_sentence"]


def test_classification_fit_is_one_for_the_same_division_half_for_the_section_else_zero(
    client: TestClient, actors: Actors
) -> None:
    same_division = create_listing(client, actors.tto, industry_code="C34")["id"]
    same_section = create_listing(client, actors.tto, industry_code="C29")["id"]
    other_section = create_listing(client, actors.tto, industry_code="I65")["id"]
    no_industry = create_listing(client, actors.tto, industry_code=None)["id"]
    with_industry = create_demand(client, actors.sme, industry_code="34")
    without_industry = create_demand(client, actors.sme, industry_code=None)

    def fits(demand_id: int) -> dict[int, float | None]:
        page = matches(client, actors.sme, demand_id)
        return {
            item["listing"]["id"]: item["components"]["classification"] for item in page["items"]
        }

    assert fits(with_industry["id"]) == {
        same_division: 1.0,
        same_section: 0.5,
        other_section: 0.0,
        no_industry: None,
    }
    assert set(fits(without_industry["id"]).values()) == {None}


def test_withdrawn_listing_disappears_from_matches_at_once(
    client: TestClient, actors: Actors, topics: Topics
) -> None:
    demand = create_demand(client, actors.sme)
    assert matched_ids(matches(client, actors.sme, demand["id"]))[0] == topics.bearing["id"]

    response = client.delete(f"/v1/listings/{topics.bearing['id']}", headers=actors.tto.headers)
    assert response.status_code == 200

    page = matches(client, actors.sme, demand["id"])
    assert topics.bearing["id"] not in matched_ids(page)
    assert page["total"] == 2


def test_expired_listing_never_appears(
    client: TestClient, actors: Actors, session: Session, topics: Topics
) -> None:
    # A utility model filed in 2000 ran out in 2010: it is stored as expired.
    lapsed = create_listing(
        client,
        actors.tto,
        patent_number=patent_number(2000, kind=2),
        patent_type="utility_model",
        application_date="2000-01-01",
        grant_date="2001-01-01",
    )
    assert lapsed["status"] == "expired"
    # A patent whose term ended yesterday, before the nightly job marked it expired.
    listing = session.get(Listing, topics.bearing["id"])
    assert listing is not None
    listing.expiry_date = date.today() - timedelta(days=1)
    listing.version += 1
    session.commit()
    engine_of(client).refresh(session, [listing.id])
    demand = create_demand(client, actors.sme)

    page = matches(client, actors.sme, demand["id"])

    assert sorted(matched_ids(page)) == sorted([topics.plastic["id"], topics.gas["id"]])
    assert page["total"] == 2


def test_new_listing_appears_in_matches_at_once(
    client: TestClient, actors: Actors, topics: Topics
) -> None:
    demand = create_demand(client, actors.sme, **GAS_NEED)
    assert matched_ids(matches(client, actors.sme, demand["id"]))[0] == topics.gas["id"]

    newer = create_listing(
        client,
        actors.tto,
        title="一种低功耗甲醛气体传感器",
        abstract=GAS["abstract"],
        ipc_codes=GAS["ipc_codes"],
        industry_code="C40",
    )

    page = matches(client, actors.sme, demand["id"])
    assert set(matched_ids(page)[:2]) == {topics.gas["id"], newer["id"]}
    assert page["total"] == 4


def test_matches_pages_carry_the_total_and_the_requested_slice(
    client: TestClient, actors: Actors
) -> None:
    for _ in range(12):
        create_listing(client, actors.tto)
    demand = create_demand(client, actors.sme)

    pages = [matches(client, actors.sme, demand["id"], limit=5, offset=o) for o in (0, 5, 10)]

    assert [(p["total"], p["offset"], len(p["items"])) for p in pages] == [
        (12, 0, 5),
        (12, 5, 5),
        (12, 10, 2),
    ]
    shown = [i for p in pages for i in matched_ids(p)]
    assert len(set(shown)) == 12


# --- filters ---------------------------------------------------------------------------------


@dataclass
class Spread:
    """Three bearing listings that differ in every filtered field."""

    recent: int  # invention, G06N/G01M, C34, 浙江省, 3 %, 15 years left, held by tto
    utility: int  # utility model, F16C, C35, 江苏省, fixed fee, 3 years left, held by tto
    old: int  # invention, G01M, I65, 湖北省, 8 %, 5 years left, held by other_tto


@pytest.fixture()
def spread(client: TestClient, actors: Actors) -> Spread:
    recent = create_listing(
        client,
        actors.tto,
        application_date=years_ago(5).isoformat(),
        grant_date=years_ago(4).isoformat(),
    )
    utility = create_listing(
        client,
        actors.tto,
        patent_number=patent_number(years_ago(7).year, kind=2),
        patent_type="utility_model",
        ipc_codes=["F16C 19/52"],
        industry_code="C35",
        province="江苏",
        licence={"royalty_type": "fixed", "fixed_fee_yuan": 80000},
        application_date=years_ago(7).isoformat(),
        grant_date=years_ago(6).isoformat(),
    )
    old = create_listing(
        client,
        actors.other_tto,
        ipc_codes=["G01M 13/045"],
        industry_code="I65",
        licence={"royalty_type": "percentage", "rate_percent": 8.0},
        application_date=years_ago(15).isoformat(),
        grant_date=years_ago(13).isoformat(),
    )
    return Spread(recent=recent["id"], utility=utility["id"], old=old["id"])


FILTER_CASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "ipc-subclass": ({"ipc": "G06N"}, ["recent"]),
    "ipc-main-group": ({"ipc": "F16C 19"}, ["utility"]),
    "ipc-shared-subclass": ({"ipc": "g01m"}, ["recent", "old"]),
    "ipc-section": ({"ipc": "G"}, ["recent", "old"]),
    "patent-type": ({"patent_type": "utility_model"}, ["utility"]),
    "province": ({"province": "江苏"}, ["utility"]),
    "province-of-holder": ({"province": "Hubei"}, ["old"]),
    "industry-section": ({"industry_code": "C"}, ["recent", "utility"]),
    "industry-division": ({"industry_code": "35"}, ["utility"]),
    "holder": ({"holder_id": "other_tto"}, ["old"]),
    "max-rate": ({"max_rate_percent": 5}, ["recent", "utility"]),
    "min-remaining-years": ({"min_remaining_years": 10}, ["recent"]),
    "min-remaining-years-low": ({"min_remaining_years": 4}, ["recent", "old"]),
    "combined": ({"ipc": "G01M", "max_rate_percent": 5}, ["recent"]),
}


def test_each_filter_restricts_demand_matches(
    client: TestClient, actors: Actors, spread: Spread
) -> None:
    demand = create_demand(client, actors.sme)
    assert matches(client, actors.sme, demand["id"])["total"] == 3

    for case, (params, expected) in FILTER_CASES.items():
        if params.get("holder_id") == "other_tto":
            params = params | {"holder_id": actors.other_tto.organisation.id}

        page = matches(client, actors.sme, demand["id"], **params)

        wanted = sorted(getattr(spread, name) for name in expected)
        assert sorted(matched_ids(page)) == wanted, case
        assert page["total"] == len(expected), case


INVALID_MATCH_QUERIES: dict[str, tuple[dict[str, Any], str]] = {
    "ipc": ({"ipc": "Z99"}, "ipc"),
    "patent-type": ({"patent_type": "patent"}, "patent_type"),
    "province": ({"province": "Atlantis"}, "province"),
    "industry-code": ({"industry_code": "C99"}, "industry_code"),
    "holder-id": ({"holder_id": "tsinghua"}, "holder_id"),
    "max-rate-zero": ({"max_rate_percent": 0}, "max_rate_percent"),
    "max-rate-above-100": ({"max_rate_percent": 101}, "max_rate_percent"),
    "min-remaining-years": ({"min_remaining_years": -1}, "min_remaining_years"),
    "limit-above-100": ({"limit": 101}, "limit"),
    "limit-zero": ({"limit": 0}, "limit"),
    "offset-negative": ({"offset": -1}, "offset"),
}


def test_invalid_match_query_is_rejected_naming_the_parameter(
    client: TestClient, actors: Actors
) -> None:
    demand = create_demand(client, actors.sme)

    for case, (params, name) in INVALID_MATCH_QUERIES.items():
        response = client.get(
            f"/v1/demands/{demand['id']}/matches", params=params, headers=actors.sme.headers
        )

        assert error_locs(response, 422) == [["query", name]], case


def test_another_enterprises_demand_has_no_matches_for_you(
    client: TestClient, actors: Actors
) -> None:
    demand = create_demand(client, actors.sme, visibility="public")

    for demand_id in (demand["id"], UNKNOWN_ID):
        response = client.get(f"/v1/demands/{demand_id}/matches", headers=actors.other_sme.headers)
        assert error_locs(response, 404) == [["path", "demand_id"]]


def test_demand_matches_need_an_enterprise_key(client: TestClient, actors: Actors) -> None:
    demand = create_demand(client, actors.sme)
    path = f"/v1/demands/{demand['id']}/matches"

    assert client.get(path, headers=actors.tto.headers).status_code == 403
    assert client.get(path, headers=actors.operator.headers).status_code == 403
    assert client.get(path).status_code == 401


# --- embedding once --------------------------------------------------------------------------


class CountingEmbedder:
    """Delegates to an embedder and counts every call, with the size of each batch."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.query_batches: list[int] = []
        self.passage_batches: list[int] = []

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        self.query_batches.append(len(texts))
        return self._inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        self.passage_batches.append(len(texts))
        return self._inner.embed_passages(texts)


@dataclass
class Counted:
    client: TestClient
    embedder: CountingEmbedder


@pytest.fixture()
def counted(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[Counted]:
    embedder = CountingEmbedder(HashingEmbedder(64))
    app = create_app(settings, session_factory=session_factory, embedder=embedder)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Counted(client=client, embedder=embedder)


def test_demand_is_embedded_once_and_never_when_asking_for_matches(
    counted: Counted, actors: Actors
) -> None:
    client, embedder = counted.client, counted.embedder
    create_listing(client, actors.tto)
    create_listing(client, actors.tto, **PLASTIC)

    demand = create_demand(client, actors.sme)
    assert embedder.query_batches == [1]

    for params in (
        {},
        {"limit": 1, "offset": 1},
        {"offset": 5},
        {"ipc": "G06N", "province": "浙江"},
        {"max_rate_percent": 2, "min_remaining_years": 3, "industry_code": "C"},
    ):
        matches(client, actors.sme, demand["id"], **params)
    assert embedder.query_batches == [1]

    response = client.patch(
        f"/v1/demands/{demand['id']}",
        json={"description": "希望引进轴承振动监测技术。"},
        headers=actors.sme.headers,
    )
    assert response.status_code == 200
    assert embedder.query_batches == [1, 1]

    response = client.patch(
        f"/v1/demands/{demand['id']}", json={"budget_yuan": 300000}, headers=actors.sme.headers
    )
    assert response.status_code == 200
    matches(client, actors.sme, demand["id"])
    assert embedder.query_batches == [1, 1]


def test_listing_matches_embed_nothing_and_search_embeds_its_text_once(
    counted: Counted, actors: Actors
) -> None:
    client, embedder = counted.client, counted.embedder
    listing = create_listing(client, actors.tto)
    create_demand(client, actors.sme, visibility="public")
    passages, queries = list(embedder.passage_batches), list(embedder.query_batches)

    assert listing_matches(client, actors.tto, listing["id"]).status_code == 200
    assert (embedder.passage_batches, embedder.query_batches) == (passages, queries)

    assert search(client, actors.sme, text="轴承故障诊断").status_code == 200
    assert embedder.query_batches == [*queries, 1]


def test_import_embeds_listings_in_batches_and_only_changed_texts(
    counted: Counted, actors: Actors
) -> None:
    client, embedder = counted.client, counted.embedder
    rows = [valid_row(i) for i in range(120)]
    batch_size = 64  # app.search.embeddings.embed_listings's default

    report = import_report(client, actors.tto, to_csv(rows))

    assert report["created"] == 120
    assert len(embedder.passage_batches) == math.ceil(120 / batch_size) == 2
    assert embedder.passage_batches == [64, 56]

    again = import_report(client, actors.tto, to_csv(rows))

    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 120)
    assert embedder.passage_batches == [64, 56]

    listing = listing_by_number(client, actors.tto, rows[0]["patent_number"])
    response = client.patch(
        f"/v1/listings/{listing['id']}",
        json={"licence": {"royalty_type": "fixed", "fixed_fee_yuan": 120000}},
        headers=actors.tto.headers,
    )
    assert response.status_code == 200
    assert response.json()["version"] == listing["version"] + 1
    assert embedder.passage_batches == [64, 56]

    response = client.patch(
        f"/v1/listings/{listing['id']}", json={"title": "一种新的名称"}, headers=actors.tto.headers
    )
    assert response.status_code == 200
    assert embedder.passage_batches == [64, 56, 1]


# --- ad-hoc search ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sme", "tto"])
def test_search_ranks_listings_for_a_text_without_saving_it(
    client: TestClient, actors: Actors, topics: Topics, role: str
) -> None:
    response = search(
        client,
        getattr(actors, role),
        text="需要甲醛气体传感器，要求低功耗、高灵敏度",
        industry_code="40",
        limit=2,
    )

    assert response.status_code == 200, response.text
    page = response.json()
    assert matched_ids(page)[0] == topics.gas["id"]
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (3, 2, 0, 2)
    first = page["items"][0]
    assert first["components"]["classification"] == 1.0
    assert {"甲醛", "气体", "传感器"} <= set(first["explanation"]["terms_found"])
    gas = topics.gas
    assert first["explanation"]["best_sentence"] in sentences(
        listing_text(gas["title"], gas["abstract"])
    )
    assert client.get("/v1/demands", headers=actors.sme.headers).json()["total"] == 0


def test_search_applies_filters_and_pages(
    client: TestClient, actors: Actors, topics: Topics
) -> None:
    body = {"text": "轴承故障诊断", "filters": {"holder_id": actors.tto.organisation.id}}

    first = search(client, actors.sme, **body, limit=1).json()
    second = search(client, actors.sme, **body, limit=1, offset=1).json()

    assert first["total"] == second["total"] == 2
    assert matched_ids(first) == [topics.bearing["id"]]
    assert matched_ids(second) == [topics.plastic["id"]]


def test_search_is_not_for_operators(client: TestClient, actors: Actors) -> None:
    assert search(client, actors.operator, text="轴承故障诊断").status_code == 403


INVALID_SEARCHES: dict[str, tuple[dict[str, Any], list[Any]]] = {
    "ipc": ({"filters": {"ipc": "Z99"}}, ["body", "filters", "ipc"]),
    "province": ({"filters": {"province": "Atlantis"}}, ["body", "filters", "province"]),
    "industry": ({"filters": {"industry_code": "C99"}}, ["body", "filters", "industry_code"]),
    "patent-type": ({"filters": {"patent_type": "x"}}, ["body", "filters", "patent_type"]),
    "max-rate": ({"filters": {"max_rate_percent": 0}}, ["body", "filters", "max_rate_percent"]),
    "min-years": (
        {"filters": {"min_remaining_years": 31}},
        ["body", "filters", "min_remaining_years"],
    ),
    "unknown-filter": ({"filters": {"colour": "red"}}, ["body", "filters", "colour"]),
    "empty-text": ({"text": ""}, ["body", "text"]),
    "blank-text": ({"text": "   "}, ["body", "text"]),
    "limit": ({"limit": 101}, ["body", "limit"]),
}


def test_invalid_search_is_rejected_naming_the_field(client: TestClient, actors: Actors) -> None:
    for case, (body, loc) in INVALID_SEARCHES.items():
        response = search(client, actors.sme, **({"text": "轴承故障诊断"} | body))

        assert error_locs(response, 422) == [loc], case


# --- a listing's demands ---------------------------------------------------------------------


def test_listing_matches_rank_public_open_demands_and_never_private_or_withdrawn_ones(
    client: TestClient, actors: Actors, topics: Topics
) -> None:
    on_topic = create_demand(client, actors.sme, visibility="public")
    off_topic = create_demand(
        client,
        actors.sme,
        visibility="public",
        title="可降解食品包装材料",
        description="需要聚乳酸可降解包装薄膜技术。",
        industry_code="C29",
    )
    private = create_demand(client, actors.other_sme, visibility="private")
    withdrawn = create_demand(client, actors.other_sme, visibility="public")
    assert (
        client.delete(
            f"/v1/demands/{withdrawn['id']}", headers=actors.other_sme.headers
        ).status_code
        == 200
    )

    response = listing_matches(client, actors.tto, topics.bearing["id"])

    assert response.status_code == 200, response.text
    page = response.json()
    assert [item["demand"]["id"] for item in page["items"]] == [on_topic["id"], off_topic["id"]]
    assert page["total"] == 2
    assert private["id"] not in [item["demand"]["id"] for item in page["items"]]
    first = page["items"][0]
    assert first["components"]["classification"] == 1.0
    assert page["items"][1]["components"]["classification"] == 0.5
    assert "轴承" in first["explanation"]["terms_found"]
    assert first["demand"]["visibility"] == "public"


def test_listing_matches_page_without_counting_private_demands(
    client: TestClient, actors: Actors, topics: Topics
) -> None:
    public = [create_demand(client, actors.sme, visibility="public")["id"] for _ in range(3)]
    for _ in range(2):
        create_demand(client, actors.other_sme, visibility="private")

    pages = [
        listing_matches(client, actors.tto, topics.bearing["id"], limit=2, offset=o).json()
        for o in (0, 2)
    ]

    assert [(p["total"], len(p["items"])) for p in pages] == [(3, 2), (3, 1)]
    assert sorted(item["demand"]["id"] for p in pages for item in p["items"]) == sorted(public)


def test_listing_matches_are_for_the_holding_tto_only(
    client: TestClient, actors: Actors, topics: Topics
) -> None:
    for other in (actors.other_tto, actors.sme, actors.operator):
        response = listing_matches(client, other, topics.bearing["id"])

        assert response.status_code == 403, other.organisation.name
    assert listing_matches(client, actors.tto, topics.bearing["id"]).status_code == 200


def test_listing_matches_of_an_unknown_listing_are_not_found(
    client: TestClient, actors: Actors
) -> None:
    response = listing_matches(client, actors.tto, UNKNOWN_ID)

    assert error_locs(response, 404) == [["path", "listing_id"]]


# --- feedback --------------------------------------------------------------------------------


def test_feedback_is_recorded_and_a_new_verdict_replaces_it(
    client: TestClient, actors: Actors, topics: Topics
) -> None:
    demand = create_demand(client, actors.sme)
    body = {"demand_id": demand["id"], "listing_id": topics.plastic["id"]}

    first = feedback(client, actors.sme, **body, verdict="relevant", reason="材料可用于轴承密封")
    second = feedback(client, actors.sme, **body, verdict="not_relevant")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["id"] == first.json()["id"]
    assert first.json()["verdict"] == "relevant"
    assert first.json()["reason"] == "材料可用于轴承密封"
    assert (second.json()["verdict"], second.json()["reason"]) == ("not_relevant", None)
    assert second.json()["created_at"] == first.json()["created_at"]


def test_not_relevant_hides_the_listing_from_that_demand_only(
    client: TestClient, actors: Actors, topics: Topics
) -> None:
    demand = create_demand(client, actors.sme)
    other_demand = create_demand(client, actors.sme)
    before = matches(client, actors.sme, demand["id"])
    assert topics.bearing["id"] in matched_ids(before)

    response = feedback(
        client,
        actors.sme,
        demand_id=demand["id"],
        listing_id=topics.bearing["id"],
        verdict="not_relevant",
    )
    assert response.status_code == 201

    after = matches(client, actors.sme, demand["id"])
    assert topics.bearing["id"] not in matched_ids(after)
    assert after["total"] == before["total"] - 1
    assert topics.bearing["id"] in matched_ids(matches(client, actors.sme, other_demand["id"]))

    feedback(
        client,
        actors.sme,
        demand_id=demand["id"],
        listing_id=topics.bearing["id"],
        verdict="relevant",
    )
    again = matches(client, actors.sme, demand["id"])
    assert matched_ids(again)[0] == topics.bearing["id"]
    assert again["total"] == before["total"]


def test_relevant_verdict_shows_on_the_matched_item(
    client: TestClient, actors: Actors, topics: Topics
) -> None:
    demand = create_demand(client, actors.sme)
    feedback(
        client, actors.sme, demand_id=demand["id"], listing_id=topics.gas["id"], verdict="relevant"
    )

    page = matches(client, actors.sme, demand["id"])

    verdicts = {item["listing"]["id"]: item["feedback"] for item in page["items"]}
    assert verdicts == {
        topics.bearing["id"]: None,
        topics.plastic["id"]: None,
        topics.gas["id"]: "relevant",
    }


def test_feedback_on_another_enterprises_demand_is_not_found(
    client: TestClient, actors: Actors, topics: Topics
) -> None:
    demand = create_demand(client, actors.sme, visibility="public")

    response = feedback(
        client,
        actors.other_sme,
        demand_id=demand["id"],
        listing_id=topics.gas["id"],
        verdict="relevant",
    )

    assert error_locs(response, 404) == [["path", "demand_id"]]


def test_feedback_on_an_unknown_listing_is_not_found(client: TestClient, actors: Actors) -> None:
    demand = create_demand(client, actors.sme)

    response = feedback(
        client, actors.sme, demand_id=demand["id"], listing_id=UNKNOWN_ID, verdict="relevant"
    )

    assert error_locs(response, 404) == [["body", "listing_id"]]


def test_feedback_needs_an_enterprise_key(
    client: TestClient, actors: Actors, topics: Topics
) -> None:
    demand = create_demand(client, actors.sme)

    response = feedback(
        client, actors.tto, demand_id=demand["id"], listing_id=topics.gas["id"], verdict="relevant"
    )

    assert response.status_code == 403


def test_feedback_with_an_unknown_verdict_is_rejected(
    client: TestClient, actors: Actors, topics: Topics
) -> None:
    demand = create_demand(client, actors.sme)

    response = feedback(
        client, actors.sme, demand_id=demand["id"], listing_id=topics.gas["id"], verdict="maybe"
    )

    assert error_locs(response, 422) == [["body", "verdict"]]


# --- consistency with the database (rule 5) --------------------------------------------------


def write_listing_elsewhere(session: Session, holder: Actor, **fields: Any) -> Listing:
    """Create a listing as another process would: service layer, stored vector, commit."""
    organisation = session.get(Organisation, holder.organisation.id)
    assert organisation is not None
    data = ListingCreate.model_validate(listing_payload(**fields))
    listing = listing_service.create(session=session, organisation=organisation, data=data)
    embeddings.embed_listings(session=session, listings=[listing], embedder=HashingEmbedder(64))
    session.commit()
    return listing


def test_listing_written_by_another_process_appears_after_catch_up(
    client: TestClient, actors: Actors, session: Session, topics: Topics
) -> None:
    demand = create_demand(client, actors.sme, **GAS_NEED)

    listing = write_listing_elsewhere(
        session, actors.tto, title="一种甲醛气体传感器", abstract=GAS["abstract"]
    )

    page = matches(client, actors.sme, demand["id"])
    assert listing.id not in matched_ids(page)
    assert page["total"] == 3

    assert engine_of(client).catch_up() == 1

    page = matches(client, actors.sme, demand["id"])
    assert listing.id in matched_ids(page)[:2]
    assert page["total"] == 4
    assert engine_of(client).catch_up() == 0


def test_listing_withdrawn_by_another_process_leaves_the_catalogue_after_catch_up(
    client: TestClient, actors: Actors, session: Session, topics: Topics
) -> None:
    demand = create_demand(client, actors.sme)
    listing = session.get(Listing, topics.bearing["id"])
    assert listing is not None

    listing_service.withdraw(session=session, listing=listing)
    session.commit()

    engine = engine_of(client)
    assert listing.id in engine.catalogue
    # Before catching up, the page already leaves out a listing the database says is gone.
    assert listing.id not in matched_ids(matches(client, actors.sme, demand["id"]))

    assert engine.catch_up() == 1

    assert listing.id not in engine.catalogue
    page = matches(client, actors.sme, demand["id"])
    assert listing.id not in matched_ids(page)
    assert page["total"] == 2


# --- index snapshots -------------------------------------------------------------------------


def write_snapshot(client: TestClient, session: Session, settings: Settings, model_id: str) -> None:
    """Write this process's catalogue as the live snapshot, as the nightly job would."""
    index, lexical = engine_of(client).catalogue.snapshot_parts()
    newest = session.scalar(select(func.max(Listing.updated_at)))
    staged = snapshots.stage(
        settings.index_dir, index, lexical, model_id=model_id, watermark=newest
    )
    snapshots.switch(settings.index_dir, staged.name)


@pytest.fixture()
def second_process(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[Any]:
    """Return a function that starts another application on the same database."""
    clients: list[TestClient] = []

    def start() -> TestClient:
        app = create_app(settings, session_factory=session_factory, embedder=HashingEmbedder(64))
        started = TestClient(app, raise_server_exceptions=False)
        started.__enter__()
        clients.append(started)
        return started

    yield start
    for started in clients:
        started.__exit__(None, None, None)


def test_snapshot_of_another_model_is_refused_and_the_catalogue_built_from_the_database(
    client: TestClient,
    actors: Actors,
    session: Session,
    settings: Settings,
    topics: Topics,
    second_process: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    write_snapshot(client, session, settings, model_id="some-other-model")
    demand = create_demand(client, actors.sme)

    with caplog.at_level(logging.ERROR):
        other = second_process()

    refusals = [r for r in caplog.records if "index snapshot refused" in r.getMessage()]
    assert len(refusals) == 1
    assert refusals[0].levelno == logging.ERROR
    assert "'some-other-model'" in refusals[0].getMessage()
    assert "'hash-64'" in refusals[0].getMessage()
    assert engine_of(other).catalogue.source == "database"
    page = matches(other, actors.sme, demand["id"])
    assert page["index_version"].startswith("database; ")
    assert matched_ids(page)[0] == topics.bearing["id"]
    assert page["total"] == 3


def test_snapshot_of_the_running_model_is_loaded_and_caught_up_with_later_changes(
    client: TestClient,
    actors: Actors,
    session: Session,
    settings: Settings,
    topics: Topics,
    second_process: Any,
) -> None:
    write_snapshot(client, session, settings, model_id="hash-64")
    # Changes after the snapshot's watermark: a new listing, a rewritten one, a withdrawn one.
    added = create_listing(
        client, actors.tto, title="一种甲醛气体检测装置", abstract=GAS["abstract"]
    )
    rewritten = client.patch(
        f"/v1/listings/{topics.plastic['id']}",
        json={"title": "一种甲醛气体传感器阵列", "abstract": GAS["abstract"]},
        headers=actors.tto.headers,
    )
    assert rewritten.status_code == 200
    withdrawn = client.delete(f"/v1/listings/{topics.gas['id']}", headers=actors.other_tto.headers)
    assert withdrawn.status_code == 200
    demand = create_demand(client, actors.sme, **GAS_NEED)

    other = second_process()

    catalogue = engine_of(other).catalogue
    assert catalogue.source.startswith("snapshot ")
    assert len(catalogue) == 3
    assert topics.gas["id"] not in catalogue
    assert catalogue.version_of(topics.plastic["id"]) == rewritten.json()["version"]
    page = matches(other, actors.sme, demand["id"])
    assert page["index_version"].startswith("snapshot ")
    assert set(matched_ids(page)[:2]) == {added["id"], topics.plastic["id"]}
    assert matched_ids(page)[2] == topics.bearing["id"]
    assert page["total"] == 3
