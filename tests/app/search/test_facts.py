"""FactTable: the in-memory columns that turn match filters into the ids allowed to rank."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from app.models import PatentType
from app.search.facts import FactTable, ListingFacts, ipc_prefixes
from app.search.filters import ListingFilters

TODAY = date(2025, 6, 1)


def facts(listing_id: int, **overrides: object) -> ListingFacts:
    """Return the facts of an active invention held by organisation 1, expiring in 2040."""
    base = ListingFacts(
        id=listing_id,
        organisation_id=1,
        patent_type="invention",
        province="浙江省",
        industry_code="C34",
        ipc_codes=("G06F 16/33",),
        rate_percent=3.0,
        expiry_date=date(2040, 1, 1),
        version=1,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def table_of(*items: ListingFacts) -> FactTable:
    table = FactTable()
    for item in items:
        table.upsert(item)
    return table


def allowed(table: FactTable, **filters: object) -> list[int] | None:
    result = table.allowed(ListingFilters(**filters), TODAY)  # type: ignore[arg-type]
    return None if result is None else result.tolist()


def test_ipc_prefixes_list_every_level_of_a_code() -> None:
    assert ipc_prefixes("G06F 16/33") == ["G", "G06", "G06F", "G06F 16", "G06F 16/33"]


def test_no_filter_and_nothing_expired_allows_everything_without_a_mask() -> None:
    table = table_of(facts(1), facts(2))

    assert allowed(table) is None


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("G", [1, 2, 3]),
        ("G06", [1, 2]),
        ("G06F", [1, 2]),
        ("G06F 16", [1]),
        ("G06F 16/33", [1]),
        ("G06F 16/30", []),
        ("G06F 1", [2]),
        ("G01M", [3]),
        ("H01M", []),
    ],
)
def test_ipc_prefix_filter_keeps_listings_with_a_code_under_it_at_every_level(
    prefix: str, expected: list[int]
) -> None:
    table = table_of(
        facts(1, ipc_codes=("G06F 16/33",)),
        facts(2, ipc_codes=("G06F 1/16",)),
        facts(3, ipc_codes=("G01M 13/045",)),
    )

    assert allowed(table, ipc_prefix=prefix) == expected


def test_ipc_prefix_filter_matches_any_of_a_listings_codes() -> None:
    table = table_of(facts(1, ipc_codes=("G06N 3/08", "G01M 13/045")), facts(2, ipc_codes=()))

    assert allowed(table, ipc_prefix="G01M 13") == [1]
    assert allowed(table, ipc_prefix="G06N") == [1]


def test_patent_type_filter_keeps_only_that_type() -> None:
    table = table_of(
        facts(1, patent_type="invention"),
        facts(2, patent_type="utility_model"),
        facts(3, patent_type="invention"),
    )

    assert allowed(table, patent_type=PatentType.INVENTION) == [1, 3]
    assert allowed(table, patent_type=PatentType.UTILITY_MODEL) == [2]
    assert allowed(table, patent_type=PatentType.DESIGN) == []


def test_province_filter_keeps_only_that_province_and_unknown_values_keep_nothing() -> None:
    table = table_of(
        facts(1, province="浙江省"), facts(2, province="湖北省"), facts(3, province=None)
    )

    assert allowed(table, province="湖北省") == [2]
    assert allowed(table, province="西藏自治区") == []


def test_industry_section_filter_keeps_every_division_of_the_section() -> None:
    table = table_of(
        facts(1, industry_code="C34"),
        facts(2, industry_code="C39"),
        facts(3, industry_code="C"),
        facts(4, industry_code="I65"),
        facts(5, industry_code=None),
    )

    assert allowed(table, industry_code="C") == [1, 2, 3]
    assert allowed(table, industry_code="I") == [4]


def test_industry_division_filter_keeps_only_that_division() -> None:
    table = table_of(
        facts(1, industry_code="C34"),
        facts(2, industry_code="C39"),
        facts(3, industry_code="C"),
        facts(4, industry_code=None),
    )

    assert allowed(table, industry_code="C39") == [2]
    assert allowed(table, industry_code="C34") == [1]


def test_holder_filter_keeps_only_that_organisations_listings() -> None:
    table = table_of(facts(1, organisation_id=7), facts(2, organisation_id=8), facts(3))

    assert allowed(table, holder_id=8) == [2]
    assert allowed(table, holder_id=99) == []


def test_max_rate_filter_keeps_rates_up_to_the_cap_and_every_non_percentage_listing() -> None:
    table = table_of(
        facts(1, rate_percent=2.0),
        facts(2, rate_percent=5.0),
        facts(3, rate_percent=5.5),
        facts(4, rate_percent=None),  # fixed fee, free or negotiable: no rate to exceed a cap
    )

    assert allowed(table, max_rate_percent=5.0) == [1, 2, 4]
    assert allowed(table, max_rate_percent=1.0) == [4]


def test_min_remaining_years_filter_compares_expiry_with_today() -> None:
    table = table_of(
        facts(1, expiry_date=TODAY + timedelta(days=365)),
        facts(2, expiry_date=TODAY + timedelta(days=round(5 * 365.25))),
        facts(3, expiry_date=TODAY + timedelta(days=round(10 * 365.25))),
    )

    assert allowed(table, min_remaining_years=5) == [2, 3]
    assert allowed(table, min_remaining_years=0.5) == [1, 2, 3]
    assert allowed(table, min_remaining_years=12) == []


def test_listing_whose_term_has_ended_is_excluded_without_any_filter() -> None:
    table = table_of(
        facts(1, expiry_date=TODAY - timedelta(days=1)),
        facts(2, expiry_date=TODAY),
        facts(3),
    )

    assert allowed(table) == [2, 3]
    assert allowed(table, province="浙江省") == [2, 3]
    assert table.allowed(ListingFilters(), TODAY + timedelta(days=1)).tolist() == [3]  # type: ignore[union-attr]


def test_filters_combine_as_and() -> None:
    table = table_of(
        facts(1, province="湖北省", patent_type="utility_model"),
        facts(2, province="湖北省"),
        facts(3, province="湖北省", ipc_codes=("H01M 4/525",)),
        facts(4),
    )

    assert allowed(table, province="湖北省", patent_type=PatentType.INVENTION) == [2, 3]
    assert allowed(table, province="湖北省", ipc_prefix="G06F") == [1, 2]
    assert allowed(
        table, province="湖北省", patent_type=PatentType.INVENTION, ipc_prefix="H01M"
    ) == [3]


def test_allowed_ids_are_sorted() -> None:
    table = table_of(facts(30), facts(10), facts(20))

    assert allowed(table, province="浙江省") == [10, 20, 30]
    assert table.ids().tolist() == [10, 20, 30]


def test_upsert_replaces_the_facts_of_a_listing() -> None:
    table = table_of(facts(1), facts(2))

    table.upsert(
        facts(1, province="湖北省", ipc_codes=("H01M 4/525",), rate_percent=None, version=2)
    )

    assert len(table) == 2
    assert table.get(1) == facts(
        1, province="湖北省", ipc_codes=("H01M 4/525",), rate_percent=None, version=2
    )
    assert allowed(table, province="浙江省") == [2]
    assert allowed(table, province="湖北省") == [1]
    assert allowed(table, ipc_prefix="G06F") == [2]
    assert allowed(table, ipc_prefix="H01M") == [1]
    assert allowed(table, max_rate_percent=1.0) == [1]
    assert table.ids().tolist() == [1, 2]


def test_remove_forgets_a_listing_and_ignores_unknown_ids() -> None:
    table = table_of(facts(1), facts(2, ipc_codes=("H01M 4/525",)))

    table.remove(2)
    table.remove(99)

    assert len(table) == 1
    assert 2 not in table
    assert 1 in table
    assert table.get(2) is None
    assert allowed(table) is None
    assert allowed(table, ipc_prefix="H01M") == []
    assert allowed(table, province="浙江省") == [1]


def test_removing_every_listing_leaves_nothing_allowed() -> None:
    table = table_of(facts(1))

    table.remove(1)

    assert len(table) == 0
    assert allowed(table, province="浙江省") == []


def test_compact_keeps_every_listing_and_answer() -> None:
    table = table_of(*(facts(i, province="湖北省" if i % 3 else "浙江省") for i in range(1, 31)))
    for i in range(1, 31, 2):
        table.upsert(facts(i, province="湖北省", version=2))
    table.remove(4)
    before = {
        "all": table.ids().tolist(),
        "hubei": allowed(table, province="湖北省"),
        "zhejiang": allowed(table, province="浙江省"),
    }

    table.compact()

    assert len(table) == 29
    assert table._size == 29  # the slots freed by replacing and removing are gone
    assert table.ids().tolist() == before["all"]
    assert allowed(table, province="湖北省") == before["hubei"]
    assert allowed(table, province="浙江省") == before["zhejiang"]
    assert table.get(1) == facts(1, province="湖北省", version=2)


def test_repeated_replacement_compacts_itself_instead_of_growing_without_bound() -> None:
    table = table_of(facts(1), facts(2, province="湖北省"))

    for version in range(2, 5_002):
        table.upsert(facts(1, version=version))

    assert len(table) == 2
    assert table._size <= 2 * len(table) + 1024
    assert len(table._ids) <= 4096
    assert table.get(1) == facts(1, version=5_001)
    assert allowed(table, province="浙江省") == [1]
    assert allowed(table, province="湖北省") == [2]


def test_table_grows_past_its_initial_capacity() -> None:
    table = FactTable(capacity=4)
    for i in range(1, 11):
        table.upsert(facts(i, province="湖北省" if i > 8 else "浙江省"))

    assert len(table) == 10
    assert allowed(table, province="湖北省") == [9, 10]
    assert allowed(table, max_rate_percent=3.0) is not None
    assert allowed(table, max_rate_percent=3.0) == list(range(1, 11))


def test_a_repeated_filter_returns_the_same_read_only_ids_until_the_table_changes() -> None:
    table = table_of(facts(1), facts(2, province="湖北省"))
    filters = ListingFilters(province="浙江省")

    first = table.allowed(filters, TODAY)
    again = table.allowed(filters, TODAY)

    assert first is not None and again is first
    assert not first.flags.writeable
    table.upsert(facts(3))
    assert table.allowed(filters, TODAY) is not first
    assert allowed(table, province="浙江省") == [1, 3]
    table.upsert(facts(1, province="湖北省", version=2))
    assert allowed(table, province="浙江省") == [3]
    table.remove(3)
    assert allowed(table, province="浙江省") == []


def test_a_kept_filter_is_evaluated_afresh_for_another_day() -> None:
    table = table_of(facts(1, expiry_date=TODAY + timedelta(days=1)), facts(2))
    filters = ListingFilters(province="浙江省")

    assert table.allowed(filters, TODAY).tolist() == [1, 2]  # type: ignore[union-attr]
    later = table.allowed(filters, TODAY + timedelta(days=2))
    assert later is not None and later.tolist() == [2]
