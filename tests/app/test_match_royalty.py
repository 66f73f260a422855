"""Royalty guidance inside match results: priced for the demand's (or searcher's) industry."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.jobs.royalty_import import import_table
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
