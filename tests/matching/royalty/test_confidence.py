"""Royalty confidence: each level from the inputs that produce it, its reasons, what raises it;
and the fees set beside a budget without being priced from it."""

from __future__ import annotations

from typing import Any

import pytest

from matching.royalty import (
    Improvement,
    LicenceStat,
    Margin,
    Reason,
    RoyaltyRequest,
    RoyaltyTables,
    suggest,
)
from tests.matching.royalty.tables import TABLES, imported_source

NATIONAL_2023 = Reason("national_margin", {"year": 2023, "margin_pct": 5.76})


def request(**fields: Any) -> RoyaltyRequest:
    defaults: dict[str, Any] = {"patent_type": "invention", "remaining_years": 15.0}
    return RoyaltyRequest(**(defaults | fields))


def with_stats(*stats: LicenceStat) -> RoyaltyTables:
    return TABLES.with_imports(sources=[imported_source()], margins=[], licence_stats=stats)


def test_division_licence_statistics_give_high_and_nothing_left_to_import() -> None:
    tables = with_stats(LicenceStat("C34", 2023, "import-1", 52, None, 4.0, 2.5, 6.0))
    suggestion = suggest(request(licensee_industry="C34"), tables)
    assert suggestion.confidence == "high"
    assert suggestion.confidence_reasons == (
        Reason(
            "licence_statistics",
            {"industry": "C34", "level": "division", "year": 2023, "contracts": 52},
        ),
    )
    assert suggestion.improvements == ()


def test_section_licence_statistics_give_medium_and_name_the_division_to_import() -> None:
    tables = with_stats(LicenceStat("C", 2023, "import-1", 400, None, 3.0, 2.0, 4.5))
    suggestion = suggest(request(licensee_industry="C34"), tables)
    assert suggestion.confidence == "medium"
    assert suggestion.confidence_reasons == (
        Reason("no_licence_statistics", {"industry": "C34"}),
        Reason(
            "licence_statistics",
            {"industry": "C", "level": "section", "year": 2023, "contracts": 400},
        ),
    )
    assert suggestion.improvements == (
        Improvement("import_licence_statistics", {"industry": "C34", "to": "high"}),
    )


def test_division_margin_gives_medium_because_the_profit_share_is_a_rule_of_thumb() -> None:
    suggestion = suggest(request(licensee_industry="C39"), TABLES)
    assert suggestion.confidence == "medium"
    assert suggestion.confidence_reasons == (
        Reason(
            "industry_margin",
            {"industry": "C39", "level": "division", "year": 2023, "margin_pct": 4.25},
        ),
    )
    assert suggestion.improvements == (
        Improvement("import_licence_statistics", {"industry": "C39", "to": "high"}),
    )


def test_manufacturing_on_the_national_margin_is_low_and_says_which_imports_raise_it() -> None:
    suggestion = suggest(request(licensee_industry="C34"), TABLES)
    assert suggestion.confidence == "low"
    assert suggestion.confidence_reasons == (
        Reason("no_margin", {"industry": "C34"}),
        Reason("no_margin", {"industry": "C"}),
        NATIONAL_2023,
    )
    assert suggestion.improvements == (
        Improvement("import_licence_statistics", {"industry": "C34", "to": "high"}),
        Improvement("import_margins", {"industry": "C34", "to": "medium"}),
    )


def test_section_margin_is_low_and_a_division_margin_would_make_it_medium() -> None:
    tables = TABLES.with_imports(
        sources=[imported_source()], margins=[Margin("C", 2023, 8.0, "import-1")], licence_stats=[]
    )
    suggestion = suggest(request(licensee_industry="C34"), tables)
    assert suggestion.confidence == "low"
    assert suggestion.improvements[-1] == Improvement(
        "import_margins", {"industry": "C34", "to": "medium"}
    )


def test_a_service_industry_on_the_national_industrial_margin_is_very_low() -> None:
    # The national total is of mining, manufacturing and utilities: it does not cover N77.
    suggestion = suggest(request(licensee_industry="N77"), TABLES)
    assert suggestion.confidence == "very_low"
    assert suggestion.confidence_reasons == (
        Reason("no_margin", {"industry": "N77"}),
        Reason("no_margin", {"industry": "N"}),
        NATIONAL_2023,
        Reason("outside_industrial_total", {"industry": "N77"}),
    )


def test_an_industry_inferred_from_the_ipc_code_costs_a_level_and_asks_for_the_industry() -> None:
    suggestion = suggest(request(ipc_codes=("G06N 3/08",)), TABLES)
    assert suggestion.confidence == "low"
    assert suggestion.confidence_reasons[-1] == Reason(
        "industry_from_ipc", {"ipc": "G06N 3/08", "industry": "I65"}
    )
    assert suggestion.improvements == (
        Improvement("state_industry"),
        Improvement("import_licence_statistics", {"industry": "I65", "to": "medium"}),
    )


def test_no_industry_is_very_low_and_only_the_industry_would_help() -> None:
    suggestion = suggest(request(), TABLES)
    assert suggestion.confidence == "very_low"
    assert suggestion.confidence_reasons == (NATIONAL_2023, Reason("no_industry"))
    assert suggestion.improvements == (Improvement("state_industry"),)


def test_a_budget_is_set_beside_the_fees_and_prices_nothing() -> None:
    without = suggest(request(licensee_industry="C34"), TABLES).payment
    payment = suggest(request(licensee_industry="C34", budget_yuan=500_000), TABLES).payment
    assert payment.sales_origin == "example"
    assert payment.annual_sales_yuan.value == 10_000_000
    assert payment.lump_sum_yuan == without.lump_sum_yuan
    assert payment.budget is not None
    assert payment.budget.budget_yuan.value == 500_000
    assert payment.budget.budget_yuan.sources == ("input",)
    # 396,000 / 432,000 / 576,000 yuan of lump sum against 500,000 yuan.
    shares = payment.budget.lump_sum_pct_of_budget
    assert (shares.low.value, shares.mid.value, shares.high.value) == (79.2, 86.4, 115.2)
    entry = payment.budget.entry_fee_pct_of_budget
    assert (entry.low.value, entry.mid.value, entry.high.value) == (15.8, 17.3, 23.0)
    # 500,000 / (1.44% × 3 years), to the hundred yuan.
    assert payment.budget.sales_covered_yuan is not None
    assert payment.budget.sales_covered_yuan.value == 11_574_100


def test_given_sales_price_the_fees_and_say_so() -> None:
    payment = suggest(request(licensee_industry="C34", annual_sales_yuan=5e6), TABLES).payment
    assert payment.sales_origin == "given"
    assert payment.lump_sum_yuan.mid.value == pytest.approx(1.44 / 100 * 5e6 * 3)
    assert payment.budget is None


def test_a_patent_at_the_end_of_its_term_covers_no_sales_with_a_budget() -> None:
    suggestion = suggest(
        request(licensee_industry="C34", remaining_years=0, budget_yuan=1e5), TABLES
    )
    assert suggestion.payment.term_origin == "remaining_term"
    assert suggestion.payment.budget is not None
    assert suggestion.payment.budget.sales_covered_yuan is None
