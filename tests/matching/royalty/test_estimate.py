"""The royalty model: properties over random valid inputs, fallbacks, imports, the declared fee."""

from __future__ import annotations

import dataclasses
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.royalty import (
    CONFIDENCE_ORDER,
    Coefficient,
    DeclaredFee,
    Exclusivity,
    Figure,
    LicenceStat,
    Margin,
    PatentKind,
    Reason,
    RoyaltyRequest,
    RoyaltySuggestion,
    RoyaltyTables,
    suggest,
)
from tests.matching.royalty.tables import TABLES, imported_source

CAP = 20.0
# Codes with a sourced division margin, without one, sections, and rare divisions.
CODES = ["C39", "C40", "C36", "B06", "I65", "C34", "C35", "C27", "A01", "E48", "C", "B", "M"]
IPC = ["G06N 3/08", "G01M 13/045", "A61K 31/00", "H04L 9/08", "F16C 19/52", "Y02E 10/50"]


def stats_strategy() -> st.SearchStrategy[list[LicenceStat]]:
    rate = st.floats(min_value=0.01, max_value=100, allow_nan=False)

    def build(code: str, rates: list[float]) -> LicenceStat:
        low, mid, high = sorted(rates)
        return LicenceStat(code, 2023, "import-1", 40, None, mid, low, high)

    one = st.builds(build, st.sampled_from(CODES), st.lists(rate, min_size=3, max_size=3))
    return st.lists(one, max_size=3, unique_by=lambda s: s.code)


def tables_strategy() -> st.SearchStrategy[RoyaltyTables]:
    margin = st.floats(min_value=-20, max_value=90, allow_nan=False)
    margins = st.lists(
        st.builds(lambda c, m: Margin(c, 2024, m, "import-1"), st.sampled_from(CODES), margin),
        max_size=3,
        unique_by=lambda m: m.code,
    )
    return st.one_of(
        st.just(TABLES),
        st.builds(
            lambda stats, ms: TABLES.with_imports(
                sources=[imported_source()], margins=ms, licence_stats=stats
            ),
            stats_strategy(),
            margins,
        ),
    )


declared_strategy = st.one_of(
    st.none(),
    st.builds(DeclaredFee, st.just("free")),
    st.builds(DeclaredFee, st.just("negotiable")),
    st.builds(
        lambda r, t: DeclaredFee("percentage", rate_pct=r, term_years=t),
        st.floats(min_value=0.001, max_value=100, allow_nan=False),
        st.one_of(st.none(), st.integers(1, 30)),
    ),
    st.builds(
        lambda f, t: DeclaredFee("fixed", fixed_fee_yuan=f, term_years=t),
        st.floats(min_value=0, max_value=1e12, allow_nan=False),
        st.one_of(st.none(), st.integers(1, 30)),
    ),
)

request_strategy = st.builds(
    RoyaltyRequest,
    patent_type=st.sampled_from(get_args(PatentKind)),
    remaining_years=st.floats(min_value=0, max_value=20, allow_nan=False),
    granted=st.booleans(),
    exclusivity=st.sampled_from(get_args(Exclusivity)),
    licensee_industry=st.one_of(st.none(), st.sampled_from(CODES)),
    listing_industry=st.one_of(st.none(), st.sampled_from(CODES)),
    ipc_codes=st.lists(st.sampled_from(IPC), max_size=2).map(tuple),
    declared=declared_strategy,
    annual_sales_yuan=st.one_of(st.none(), st.floats(min_value=1e4, max_value=1e11)),
    budget_yuan=st.one_of(st.none(), st.floats(min_value=1, max_value=1e10)),
)


def numbers(suggestion: RoyaltySuggestion) -> list[Figure | Coefficient]:
    """Return every sourced number in a suggestion; fail on a bare float anywhere else."""
    found: list[Figure | Coefficient] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, Figure | Coefficient):
            found.append(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                if path == "" and f.name == "sources":
                    continue
                walk(getattr(value, f.name), f"{path}.{f.name}")
        elif isinstance(value, tuple | list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")
        elif isinstance(value, float | int) and not isinstance(value, bool):
            raise AssertionError(f"{path} = {value!r} is a number without a source")

    walk(suggestion, "")
    return found


def rates(suggestion: RoyaltySuggestion) -> tuple[float, float, float]:
    r = suggestion.rate_pct
    return r.low.value, r.mid.value, r.high.value


@settings(max_examples=300, deadline=None)
@given(request=request_strategy, tables=tables_strategy())
def test_range_is_ordered_capped_and_every_number_names_its_source(
    request: RoyaltyRequest, tables: RoyaltyTables
) -> None:
    suggestion = suggest(request, tables)
    low, mid, high = rates(suggestion)
    assert 0 <= low <= mid <= high <= CAP
    ids = {source.id for source in suggestion.sources}
    for number in numbers(suggestion):
        assert number.sources, number
        assert set(number.sources) <= ids, (number, ids)
        declared_echo = suggestion.declared is not None and number in suggestion.declared.declared
        if isinstance(number, Figure) and number.unit == "% of net sales" and not declared_echo:
            assert number.value <= CAP, number
    for source in suggestion.sources:
        assert source.title and (source.reference or source.id == "input")
    payment = suggestion.payment
    assert payment.lump_sum_yuan.low.value <= payment.lump_sum_yuan.high.value
    assert payment.running_royalty_pct.high.value <= high


@settings(max_examples=200, deadline=None)
@given(request=request_strategy, tables=tables_strategy())
def test_exclusive_never_costs_less_than_non_exclusive(
    request: RoyaltyRequest, tables: RoyaltyTables
) -> None:
    ranked = [
        rates(suggest(dataclasses.replace(request, exclusivity=e), tables))
        for e in ("non_exclusive", "sole", "exclusive")
    ]
    for cheaper, dearer in zip(ranked, ranked[1:], strict=False):
        assert all(a <= b for a, b in zip(cheaper, dearer, strict=True))


@settings(max_examples=200, deadline=None)
@given(request=request_strategy, tables=tables_strategy())
def test_invention_never_costs_less_than_utility_model(
    request: RoyaltyRequest, tables: RoyaltyTables
) -> None:
    invention = rates(suggest(dataclasses.replace(request, patent_type="invention"), tables))
    utility = rates(suggest(dataclasses.replace(request, patent_type="utility_model"), tables))
    assert all(u <= i for u, i in zip(utility, invention, strict=True))


@settings(max_examples=200, deadline=None)
@given(
    request=request_strategy,
    tables=tables_strategy(),
    extra=st.floats(min_value=0, max_value=10, allow_nan=False),
)
def test_more_remaining_years_never_cost_less(
    request: RoyaltyRequest, tables: RoyaltyTables, extra: float
) -> None:
    shorter = suggest(request, tables)
    longer = suggest(
        dataclasses.replace(request, remaining_years=request.remaining_years + extra), tables
    )
    assert all(a <= b for a, b in zip(rates(shorter), rates(longer), strict=True))
    short_lump, long_lump = shorter.payment.lump_sum_yuan, longer.payment.lump_sum_yuan
    assert short_lump.mid.value <= long_lump.mid.value


def base_request(**fields: Any) -> RoyaltyRequest:
    defaults: dict[str, Any] = {"patent_type": "invention", "remaining_years": 15.0}
    return RoyaltyRequest(**(defaults | fields))


def test_division_without_margin_falls_back_with_lower_confidence() -> None:
    sourced = suggest(base_request(licensee_industry="C39"), TABLES)
    fallback = suggest(base_request(licensee_industry="C34"), TABLES)
    assert sourced.evidence.level == "division"
    assert sourced.evidence.fallback == ()
    assert fallback.evidence.level == "national"
    assert fallback.evidence.fallback == (
        Reason("no_margin", {"industry": "C34"}),
        Reason("no_margin", {"industry": "C"}),
    )
    assert fallback.evidence.basis == Reason("national_margin", {"year": 2023, "margin_pct": 5.76})
    order = CONFIDENCE_ORDER.index
    assert order(fallback.confidence) < order(sourced.confidence)


def test_profit_split_uses_the_division_margin_and_the_cited_shares() -> None:
    suggestion = suggest(base_request(licensee_industry="C39"), TABLES)
    # 2023 division 39: 6411 / 151000 = 4.25%; shares 0.23 / 0.25 / 0.333.
    assert rates(suggestion) == (0.98, 1.06, 1.42)
    ids = {s.id for s in suggestion.sources}
    assert {"miit-2023-electronics", "goldscheider-2002", "kemmerer-lu-2012"} <= ids


def test_section_margin_is_used_before_the_national_one() -> None:
    tables = TABLES.with_imports(
        sources=[imported_source()], margins=[Margin("C", 2023, 8.0, "import-1")], licence_stats=[]
    )
    suggestion = suggest(base_request(licensee_industry="C34"), tables)
    assert suggestion.evidence.level == "section"
    assert suggestion.evidence.industry_code == "C"
    assert suggestion.confidence == "low"


def test_imported_statistics_beat_the_profit_split_and_say_so() -> None:
    stat = LicenceStat("C34", 2023, "import-1", 52, None, 4.0, 2.5, 6.0)
    tables = TABLES.with_imports(sources=[imported_source()], margins=[], licence_stats=[stat])
    suggestion = suggest(base_request(licensee_industry="C34"), tables)
    assert suggestion.evidence.method == "industry_licence_statistics"
    assert suggestion.evidence.level == "division"
    assert suggestion.confidence == "high"
    assert rates(suggestion) == (2.5, 4.0, 6.0)
    assert "import-1" in {s.id for s in suggestion.sources}


def test_newest_imported_year_wins() -> None:
    old = LicenceStat("C34", 2021, "import-1", 30, None, 3.0)
    new = LicenceStat("C34", 2023, "import-2", 30, None, 5.0)
    tables = TABLES.with_imports(
        sources=[imported_source("import-2"), imported_source("import-1")],
        margins=[],
        licence_stats=[new, old],
    )
    assert tables.licence_stats["C34"].rate_median_pct == 5.0


def test_industry_comes_from_the_ipc_code_when_nothing_else_says_it() -> None:
    suggestion = suggest(base_request(ipc_codes=("G06N 3/08",)), TABLES)
    assert suggestion.industry.origin == "ipc"
    assert suggestion.industry.code == "I65"
    assert "approximate" in suggestion.industry.detail
    # I65 has a sourced margin, but an inferred industry costs one confidence level.
    assert suggestion.confidence == "low"


def test_no_industry_at_all_gives_the_lowest_confidence() -> None:
    suggestion = suggest(base_request(), TABLES)
    assert suggestion.industry.origin == "none"
    assert suggestion.confidence == "very_low"


@pytest.mark.parametrize(
    ("rate", "position", "flagged"),
    [(1.2, "within", False), (0.1, "far_below", True), (15.0, "far_above", True)],
)
def test_declared_rate_far_outside_the_range_is_flagged(
    rate: float, position: str, flagged: bool
) -> None:
    declared = DeclaredFee("percentage", rate_pct=rate)
    suggestion = suggest(base_request(licensee_industry="C39", declared=declared), TABLES)
    assert suggestion.declared is not None
    assert suggestion.declared.position == position
    assert suggestion.declared.flagged is flagged
    assert suggestion.declared.reason


def test_payment_forms_are_quoted_per_10_million_yuan_without_a_sales_forecast() -> None:
    suggestion = suggest(base_request(licensee_industry="C39"), TABLES)
    payment = suggestion.payment
    assert payment.annual_sales_yuan.value == 10_000_000
    assert payment.term_years.value == 3.0  # CNIPA 2023 average fixed-fee term
    # 1.06% × 10,000,000 × 3 years
    assert payment.lump_sum_yuan.mid.value == 318_000.0
    assert payment.entry_fee_yuan.mid.value == 63_600.0
    assert payment.running_royalty_pct.mid.value == 0.85


def test_sales_forecast_and_declared_term_price_the_lump_sum() -> None:
    declared = DeclaredFee("percentage", rate_pct=1.0, term_years=5)
    request = base_request(licensee_industry="C39", declared=declared, annual_sales_yuan=2e6)
    payment = suggest(request, TABLES).payment
    assert payment.term_years.value == 5
    assert payment.lump_sum_yuan.mid.value == pytest.approx(1.06 / 100 * 2e6 * 5)


def test_shipped_tables_cite_only_known_sources() -> None:
    for margin in TABLES.margins.values():
        assert margin.source in TABLES.sources
    for rule in TABLES.ipc_rules.values():
        assert rule.reason and rule.wipo_field
