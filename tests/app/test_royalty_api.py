"""Royalty guidance over the API: GET /v1/listings/{id}/royalty."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services.royalty.table_import import import_table
from tests.app.listing_calls import create_listing, years_ago
from tests.factories import Actors, patent_number

UNKNOWN_ID = 987654321
# Made-up figures for an imported CNIPA table: they test the import path, never shipped.
CNIPA_TABLE = (
    "行业,合同数量,提成费率中位数(%),提成费率25%分位数,提成费率75%分位数\nC34,52,4,2.5,6\n"
)


def royalty(
    client: TestClient, listing_id: int, headers: dict[str, str], **params: Any
) -> httpx.Response:
    return client.get(f"/v1/listings/{listing_id}/royalty", params=params, headers=headers)


def body(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def source_ids(result: dict[str, Any]) -> set[str]:
    return {source["id"] for source in result["sources"]}


def rate_values(result: dict[str, Any]) -> list[float]:
    return [result["rate_pct"][k]["value"] for k in ("low", "mid", "high")]


@pytest.mark.parametrize("role", ["tto", "sme", "operator"])
def test_any_role_gets_a_sourced_range(client: TestClient, actors: Actors, role: str) -> None:
    listing = create_listing(client, actors.tto, industry_code="C39")
    result = body(royalty(client, listing["id"], getattr(actors, role).headers))
    assert rate_values(result) == [0.98, 1.06, 1.42]
    assert result["evidence"]["method"] == "profit_split"
    assert result["evidence"]["industry_code"] == "C39"
    assert result["industry"] == {
        "code": "C39",
        "origin": "listing",
        "detail": "the industry the TTO gave for the listing",
        "ipc_code": None,
    }
    assert result["confidence"] == "medium"
    assert {"miit-2023-electronics", "goldscheider-2002"} <= source_ids(result)
    for source in result["sources"]:
        assert source["title"] and source["reference"]
    assert [c["name"] for c in result["coefficients"]] == [
        "patent_type",
        "remaining_term",
        "exclusivity",
        "maturity",
    ]
    # The listing declares 3% of sales: 70% of division 39's 4.25% margin, over twice the high end.
    assert result["declared"]["position"] == "far_above"
    assert result["declared"]["flagged"] is True


def test_licensee_industry_exclusivity_and_sales_change_the_answer(
    client: TestClient, actors: Actors
) -> None:
    listing = create_listing(client, actors.tto, industry_code="C39")
    result = body(
        royalty(
            client,
            listing["id"],
            actors.sme.headers,
            industry_code="34",
            exclusivity="exclusive",
            annual_sales_yuan=5_000_000,
        )
    )
    assert result["industry"]["code"] == "C34"
    assert result["industry"]["origin"] == "licensee"
    assert result["evidence"]["level"] == "national"
    assert result["evidence"]["fallback"] == [
        {"code": "no_margin", "params": {"industry": "C34"}},
        {"code": "no_margin", "params": {"industry": "C"}},
    ]
    assert result["confidence"] == "low"
    assert result["exclusivity"] == "exclusive"
    assert any("Patent Law art. 51" in note for note in result["notes"])
    assert result["payment"]["annual_sales_yuan"]["value"] == 5_000_000
    assert result["payment"]["annual_sales_yuan"]["sources"] == ["input"]


def test_guidance_is_in_chinese_by_default_for_the_sales_and_budget_given(
    client: TestClient, actors: Actors
) -> None:
    # The factory's listing: C34, an invention with over 10 years left, 3% declared for 3 years.
    listing = create_listing(client, actors.tto)
    params = {"annual_sales_yuan": 5_000_000, "budget_yuan": 300_000}
    chinese = {**actors.sme.headers, "Accept-Language": "zh-CN,zh;q=0.9"}
    result = body(royalty(client, listing["id"], chinese, **params))
    assert result["confidence"] == "low"
    assert result["payment"]["sales_origin"] == "given"
    assert result["payment"]["budget"]["budget_yuan"] == {
        "label": "the licensee's budget",
        "value": 300_000,
        "unit": "yuan",
        "sources": ["input"],
    }
    words = result["guidance"]
    # 1.32% / 1.44% / 1.92% × 5,000,000 yuan × 3 years: 198,000 / 216,000 / 288,000 yuan.
    assert words["summary"] == (
        "建议许可费为净销售额的 1.32%–1.92%（中值 1.44%），按利润分成法估算，置信度低。"
        "一次性支付约 19.8–28.8 万元（按年销售额 500 万元，许可期 3 年），约为预算的 66%–96%。"
    )
    assert words["method_label"] == "利润分成法"
    assert words["confidence_label"] == "低"
    assert words["sales_basis"] == (
        "按提供的年销售额 500 万元估算〔input〕；许可方声明的许可期 3 年〔input〕。"
    )
    assert words["budget"] == (
        "提供的预算 30 万元〔input〕：一次性支付约为预算的 66%–96%，入门费约为预算的 "
        "13.2%–19.2%；按中值费率和 3 年许可期，预算够一次性支付年销售额约 694 万元以内的许可，"
        "销售额更高时宜选入门费加提成。预算是企业能支付的金额，不是销售额，因此不用来推算费用。"
    )
    assert words["declared"] == (
        "许可方声明的费用折合净销售额的 3.00%（按上述销售额和许可期），高于建议区间上限 1.92%。"
    )
    assert len(words["how_to_improve"]) == 2


def test_guidance_is_in_english_on_request(client: TestClient, actors: Actors) -> None:
    listing = create_listing(client, actors.tto)
    result = body(royalty(client, listing["id"], actors.sme.headers, budget_yuan=300_000))
    words = result["guidance"]
    assert words["summary"] == (
        "Suggested royalty: 1.32%–1.92% (middle 1.44%) of net sales, by the profit-split "
        "method; confidence low. Lump sum about 396,000–576,000 yuan (for an example of "
        "10,000,000 yuan of annual sales, over 3 years), about 132%–192% of the budget."
    )
    assert words["sales_basis"] == (
        "No annual sales given: priced for an example of 10,000,000 yuan of annual sales "
        "[patentbridge-model]; the licence term the licensor declared, 3 years [input]."
    )
    assert words["how_to_improve"] == [
        "have the operator import CNIPA's recorded-licence statistics by industry (with "
        "royalty rates for C34 Manufacture of general-purpose machinery): confidence can rise "
        "to high",
        "have the operator import NBS's profit table by industry (with revenue and total "
        "profit for C34 Manufacture of general-purpose machinery): confidence can rise to "
        "medium",
    ]
    assert result["payment"]["sales_origin"] == "example"


def test_declared_fixed_fee_is_compared_over_the_term(client: TestClient, actors: Actors) -> None:
    # 40,000 yuan over 2 years of 10 million yuan sales is 0.2% of sales: far under 0.98%.
    licence = {"royalty_type": "fixed", "fixed_fee_yuan": 40_000, "term_years": 2}
    listing = create_listing(client, actors.tto, industry_code="C39", licence=licence)
    declared = body(royalty(client, listing["id"], actors.tto.headers))["declared"]
    assert declared["position"] == "far_below"
    assert declared["flagged"] is True
    assert "equals 0.20% of sales" in declared["reason"]


def test_expiring_utility_model_costs_less(client: TestClient, actors: Actors) -> None:
    invention = create_listing(client, actors.tto, industry_code="C39")
    utility = create_listing(
        client,
        actors.tto,
        industry_code="C39",
        patent_type="utility_model",
        patent_number=patent_number(kind=2),
        application_date=years_ago(9).isoformat(),
        grant_date=years_ago(8).isoformat(),
    )
    full = rate_values(body(royalty(client, invention["id"], actors.sme.headers)))
    cheap = rate_values(body(royalty(client, utility["id"], actors.sme.headers)))
    assert all(c < f for c, f in zip(cheap, full, strict=True))


def test_imported_industry_table_is_used_and_named(
    client: TestClient, actors: Actors, session: Session
) -> None:
    listing = create_listing(client, actors.tto, industry_code="C34")
    before = body(royalty(client, listing["id"], actors.sme.headers))
    assert before["evidence"]["method"] == "profit_split"
    report = import_table(
        session=session,
        content=CNIPA_TABLE.encode(),
        filename="cnipa_2023.csv",
        year=2023,
        source_title="2023年度专利实施许可统计数据（附件1）",
        source_reference="国知办函运字〔2024〕1070号",
    )
    assert report.committed, report.problems
    session.commit()
    after = body(royalty(client, listing["id"], actors.sme.headers))
    assert after["evidence"]["method"] == "industry_licence_statistics"
    assert after["evidence"]["industry_code"] == "C34"
    assert after["confidence"] == "high"
    assert rate_values(after) == [2.5, 4.0, 6.0]
    imported = [s for s in after["sources"] if s["id"] == f"import-{report.table_id}"]
    assert imported == [
        {
            "id": f"import-{report.table_id}",
            "title": "2023年度专利实施许可统计数据（附件1）",
            "publisher": "国家知识产权局 (CNIPA), imported",
            "year": "2023",
            "reference": "国知办函运字〔2024〕1070号",
            "trust": "official table imported by the operator from cnipa_2023.csv",
        }
    ]


def test_unknown_listing_is_404(client: TestClient, actors: Actors) -> None:
    response = royalty(client, UNKNOWN_ID, actors.sme.headers)
    assert response.status_code == 404
    assert response.json()["detail"][0]["type"] == "not_found"


def test_missing_key_is_401(client: TestClient, actors: Actors) -> None:
    listing = create_listing(client, actors.tto)
    assert royalty(client, listing["id"], {}).status_code == 401


@pytest.mark.parametrize(
    ("params", "loc", "msg"),
    [
        ({"industry_code": "Z9"}, ["query", "industry_code"], "industry code like C or C39"),
        ({"industry_code": "C65"}, ["query", "industry_code"], "belongs to section I"),
        ({"exclusivity": "shared"}, ["query", "exclusivity"], "Input should be"),
        ({"annual_sales_yuan": -5}, ["query", "annual_sales_yuan"], "greater than or equal to 1"),
        ({"budget_yuan": 0}, ["query", "budget_yuan"], "greater than or equal to 1"),
        # A budget of a fraction of a fen made the fees an infinite share of it.
        ({"budget_yuan": 5e-324}, ["query", "budget_yuan"], "greater than or equal to 1"),
    ],
)
def test_bad_parameters_are_422(
    client: TestClient, actors: Actors, params: dict[str, Any], loc: list[str], msg: str
) -> None:
    listing = create_listing(client, actors.tto)
    response = royalty(client, listing["id"], actors.sme.headers, **params)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"] == loc
    assert msg in detail[0]["msg"]
