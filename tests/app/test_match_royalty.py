"""Royalty guidance inside match results: priced for the demand's (or searcher's) industry."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.services.royalty.table_import import import_table
from tests.app.listing_calls import create_listing
from tests.factories import Actor, Actors

NEED: dict[str, Any] = {
    "title": "数控机床主轴轴承早期故障预警",
    "description": "我司生产精密数控机床，希望引进基于振动信号的主轴轴承故障诊断技术。",
    "visibility": "private",
}
# Made-up figures for an imported NBS table: they test the import path, never shipped.
NBS_TABLE = "行业,营业收入(亿元),利润总额(亿元)\n通用设备制造业,1000,80\n"


def demand(client: TestClient, actor: Actor, **fields: Any) -> int:
    response = client.post("/v1/demands", json=NEED | fields, headers=actor.headers)
    assert response.status_code == 201, response.text
    demand_id: int = response.json()["id"]
    return demand_id


def match_items(
    client: TestClient, actor: Actor, demand_id: int, language: str = "en"
) -> list[dict[str, Any]]:
    headers = {**actor.headers, "Accept-Language": language}
    response = client.get(f"/v1/demands/{demand_id}/matches", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def search_items(client: TestClient, actor: Actor, **body: Any) -> list[dict[str, Any]]:
    response = client.post(
        "/v1/search", json={"text": "轴承故障诊断"} | body, headers=actor.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_demand_matches_are_priced_for_the_demands_industry(
    client: TestClient, actors: Actors
) -> None:
    listing = create_listing(client, actors.tto, industry_code="C34")
    demand_id = demand(client, actors.sme, industry_code="C39")
    [item] = match_items(client, actors.sme, demand_id)
    assert item["listing"]["id"] == listing["id"]
    priced = item["royalty"]
    assert (priced["industry_code"], priced["industry_origin"]) == ("C39", "licensee")
    assert priced["level"] == "division"
    # The headline of the suggestion the royalty endpoint gives for that industry.
    assert priced["detail"] == f"/v1/listings/{listing['id']}/royalty?industry_code=C39"
    direct = client.get(priced["detail"], headers=actors.sme.headers).json()
    assert priced["rate_pct"] == {
        part: direct["rate_pct"][part]["value"] for part in ("low", "mid", "high")
    }
    assert priced["lump_sum_yuan"] == {
        part: direct["payment"]["lump_sum_yuan"][part]["value"] for part in ("low", "mid", "high")
    }
    assert priced["confidence"] == direct["confidence"]
    assert priced["method"] == direct["evidence"]["method"]
    assert priced["declared_position"] == direct["declared"]["position"]
    named = {source["id"] for source in direct["sources"]}
    assert priced["sources"] and set(priced["sources"]) <= named


def test_demand_matches_set_the_fees_beside_the_demands_budget_in_words(
    client: TestClient, actors: Actors
) -> None:
    listing = create_listing(client, actors.tto)  # C34, 3% declared for 3 years
    demand_id = demand(client, actors.sme, industry_code="C34", budget_yuan=500_000)
    [item] = match_items(client, actors.sme, demand_id, language="zh")
    brief = item["royalty"]
    # The budget is what the SME can pay, not its sales: the fees stay priced for the example.
    assert (brief["annual_sales_yuan"], brief["annual_sales_origin"]) == (10_000_000, "example")
    assert brief["lump_sum_yuan"] == {"low": 396_000, "mid": 432_000, "high": 576_000}
    assert brief["budget_yuan"] == 500_000
    assert brief["lump_sum_pct_of_budget"] == {"low": 79.2, "mid": 86.4, "high": 115.2}
    assert brief["confidence"] == "low"
    assert brief["fallback"] == "C34 通用设备制造业、C 制造业均无有来源的销售利润率"
    words = brief["guidance"]
    assert words["confidence_reason"] == (
        "置信度低：C34 通用设备制造业、C 制造业均无有来源的销售利润率；用全国规模以上工业企业 "
        "2023 年的平均销售利润率 5.76%，未反映本行业的利润水平。"
    )
    assert words["sales_basis"] == (
        "未提供年销售额，按 1,000 万元年销售额示例估算〔patentbridge-model〕；"
        "许可方声明的许可期 3 年〔input〕。"
    )
    assert words["budget"] == (
        "需求填写的预算 50 万元〔input〕：一次性支付约为预算的 79.2%–115.2%，入门费约为预算的 "
        "15.8%–23%；按中值费率和 3 年许可期，预算够一次性支付年销售额约 1,157 万元以内的许可，"
        "销售额更高时宜选入门费加提成。预算是企业能支付的金额，不是销售额，因此不用来推算费用。"
    )
    assert brief["detail"] == (
        f"/v1/listings/{listing['id']}/royalty?industry_code=C34&budget_yuan=500000"
    )
    chinese = {**actors.sme.headers, "Accept-Language": "zh"}
    direct = client.get(brief["detail"], headers=chinese).json()
    assert direct["guidance"]["summary"] == words["summary"]
    assert direct["payment"]["budget"]["budget_yuan"]["value"] == 500_000
    [english] = match_items(client, actors.sme, demand_id)
    assert english["royalty"]["guidance"]["budget"].startswith(
        "The demand's budget, 500,000 yuan [input]: the lump sum is about 79.2%–115.2% of it"
    )


def test_demand_matches_are_priced_for_the_demands_own_annual_sales(
    client: TestClient, actors: Actors
) -> None:
    listing = create_listing(client, actors.tto)  # C34, 3% declared for 3 years
    sales = 20_000_000
    demand_id = demand(
        client, actors.sme, industry_code="C34", annual_sales_yuan=sales, budget_yuan=500_000
    )
    [item] = match_items(client, actors.sme, demand_id, language="zh")
    brief = item["royalty"]
    assert (brief["annual_sales_yuan"], brief["annual_sales_origin"]) == (sales, "demand")
    rate, term = brief["rate_pct"], brief["term_years"]
    assert brief["lump_sum_yuan"] == {
        part: round(rate[part] / 100 * sales * term, 2) for part in ("low", "mid", "high")
    }
    assert brief["lump_sum_yuan"] == {"low": 792_000, "mid": 864_000, "high": 1_152_000}
    assert brief["entry_fee_yuan"] == {"low": 158_400, "mid": 172_800, "high": 230_400}
    assert brief["lump_sum_pct_of_budget"] == {"low": 158.4, "mid": 172.8, "high": 230.4}
    words = brief["guidance"]
    assert words["sales_basis"] == (
        "按需求填写的预计年销售额 2,000 万元估算〔input〕；许可方声明的许可期 3 年〔input〕。"
    )
    assert "一次性支付约 79.2–115 万元（按年销售额 2,000 万元，许可期 3 年）" in words["summary"]
    # The full suggestion behind the brief is priced for the same sales.
    assert brief["detail"] == (
        f"/v1/listings/{listing['id']}/royalty?industry_code=C34"
        "&annual_sales_yuan=20000000&budget_yuan=500000"
    )
    chinese = {**actors.sme.headers, "Accept-Language": "zh"}
    direct = client.get(brief["detail"], headers=chinese).json()
    assert brief["lump_sum_yuan"] == {
        part: direct["payment"]["lump_sum_yuan"][part]["value"] for part in ("low", "mid", "high")
    }
    assert direct["guidance"]["summary"] == words["summary"]
    [english] = match_items(client, actors.sme, demand_id)
    assert english["royalty"]["guidance"]["sales_basis"].startswith(
        "Priced for the expected annual sales the demand gives, 20,000,000 yuan [input]; "
    )


def test_a_demand_without_annual_sales_is_priced_for_the_example_and_says_so(
    client: TestClient, actors: Actors
) -> None:
    listing = create_listing(client, actors.tto)
    [item] = match_items(client, actors.sme, demand(client, actors.sme, industry_code="C34"), "zh")
    brief = item["royalty"]
    assert (brief["annual_sales_yuan"], brief["annual_sales_origin"]) == (10_000_000, "example")
    assert brief["lump_sum_yuan"] == {"low": 396_000, "mid": 432_000, "high": 576_000}
    assert brief["guidance"]["sales_basis"].startswith(
        "未提供年销售额，按 1,000 万元年销售额示例估算〔patentbridge-model〕；"
    )
    assert brief["detail"] == f"/v1/listings/{listing['id']}/royalty?industry_code=C34"


def test_editing_a_demands_annual_sales_reprices_its_matches(
    client: TestClient, actors: Actors
) -> None:
    create_listing(client, actors.tto)
    demand_id = demand(client, actors.sme, industry_code="C34", annual_sales_yuan=20_000_000)
    edit = client.patch(
        f"/v1/demands/{demand_id}",
        json={"annual_sales_yuan": 5_000_000},
        headers=actors.sme.headers,
    )
    assert edit.status_code == 200, edit.text
    [item] = match_items(client, actors.sme, demand_id)
    assert (item["royalty"]["annual_sales_yuan"], item["royalty"]["lump_sum_yuan"]["mid"]) == (
        5_000_000,
        216_000,
    )


def test_a_demand_without_a_budget_gets_no_budget_words(client: TestClient, actors: Actors) -> None:
    create_listing(client, actors.tto)
    [item] = match_items(client, actors.sme, demand(client, actors.sme, industry_code="C39"))
    brief = item["royalty"]
    assert (brief["budget_yuan"], brief["lump_sum_pct_of_budget"]) == (None, None)
    assert brief["guidance"]["budget"] is None
    assert brief["confidence"] == "medium"
    assert brief["guidance"]["confidence_reason"] == (
        "Confidence medium: uses the sourced 2023 sales profit margin of C39 Manufacture of "
        "computers, communication and other electronic equipment (4.25%), but the share of "
        "profit is a rule of thumb, not a fee the industry actually agreed."
    )


def test_demand_without_industry_is_priced_for_the_listings(
    client: TestClient, actors: Actors
) -> None:
    create_listing(client, actors.tto, industry_code="C40")
    [item] = match_items(client, actors.sme, demand(client, actors.sme))
    assert (item["royalty"]["industry_code"], item["royalty"]["industry_origin"]) == (
        "C40",
        "listing",
    )
    assert item["royalty"]["detail"] == f"/v1/listings/{item['listing']['id']}/royalty"


def test_search_is_priced_for_the_searchers_industry_and_uses_an_import(
    client: TestClient, actors: Actors, session: Session
) -> None:
    create_listing(client, actors.tto, industry_code="C39")
    [before] = search_items(client, actors.sme, industry_code="34")
    assert before["royalty"]["industry_code"] == "C34"
    assert before["royalty"]["level"] == "national"
    report = import_table(
        session=session,
        content=NBS_TABLE.encode(),
        filename="nbs_2024.csv",
        year=2024,
        source_title="2024年规模以上工业企业主要财务指标（分行业）",
        source_reference="https://www.stats.gov.cn/sj/",
    )
    assert report.committed, report.problems
    session.commit()
    [after] = search_items(client, actors.sme, industry_code="34")
    brief = after["royalty"]
    assert (brief["method"], brief["level"], brief["industry_code"]) == (
        "profit_split",
        "division",
        "C34",
    )
    assert f"import-{report.table_id}" in brief["sources"]
    # 8% margin × 0.25 share = 2%.
    assert brief["rate_pct"]["mid"] == 2.0
    evidence = client.get(brief["detail"], headers=actors.sme.headers).json()["evidence"]
    assert "2024" in evidence["description"]


def test_search_is_priced_for_the_annual_sales_it_gives(client: TestClient, actors: Actors) -> None:
    listing = create_listing(client, actors.tto)
    chinese = {**actors.sme.headers, "Accept-Language": "zh"}
    body = {"text": "轴承故障诊断", "industry_code": "C34", "annual_sales_yuan": 2_000_000}
    response = client.post("/v1/search", json=body, headers=chinese)
    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    brief = item["royalty"]
    assert (brief["annual_sales_yuan"], brief["annual_sales_origin"]) == (2_000_000, "given")
    assert brief["lump_sum_yuan"] == {"low": 79_200, "mid": 86_400, "high": 115_200}
    assert brief["guidance"]["sales_basis"].startswith("按提供的年销售额 200 万元估算〔input〕；")
    assert brief["detail"] == (
        f"/v1/listings/{listing['id']}/royalty?industry_code=C34&annual_sales_yuan=2000000"
    )
    [example] = search_items(client, actors.sme, industry_code="C34")
    assert example["royalty"]["annual_sales_origin"] == "example"


def test_search_refuses_annual_sales_of_zero_in_the_callers_language(
    client: TestClient, actors: Actors
) -> None:
    body = {"text": "轴承故障诊断", "annual_sales_yuan": 0}
    answers = {
        language: client.post(
            "/v1/search", json=body, headers={**actors.sme.headers, "Accept-Language": language}
        )
        for language in ("zh", "en")
    }
    assert {language: r.status_code for language, r in answers.items()} == {"zh": 422, "en": 422}
    assert {language: r.json()["detail"] for language, r in answers.items()} == {
        "zh": [
            {
                "msg": "预计年销售额应至少为 1 元；不清楚时请不填，费用将按年销售额示例估算",
                "type": "greater_than_equal",
                "loc": ["body", "annual_sales_yuan"],
            }
        ],
        "en": [
            {
                "msg": "expected annual sales must be at least 1 yuan; leave them out if "
                "unknown, and the fees are priced for an example",
                "type": "greater_than_equal",
                "loc": ["body", "annual_sales_yuan"],
            }
        ],
    }
