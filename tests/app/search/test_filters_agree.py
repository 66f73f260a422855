"""The two forms of the listing filters, SQL and in memory, pick the same listings.

Random listings are written to the test database, random filters are run both ways for a
random `today`, and the ids must be equal. Expiry dates, licence ends and rates are drawn
around the boundaries the filters cut at: today, today plus the minimum remaining term, the
rate cap and the values next to it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    Listing,
    ListingStatus,
    Organisation,
    OrganisationKind,
    PatentType,
    RoyaltyType,
)
from app.search.facts import FactTable, ipc_prefixes
from app.search.filters import ListingFilters, conditions, in_term, term_cutoff
from app.search.sync import active_facts
from app.services import organisations
from app.validation.terms import add_years

CODES = ("G06F 16/33", "G06F 16/30", "G06F 160/01", "G06N 3/08", "H04L 9/08", "A61K 31/00")
PREFIXES = sorted({p for code in CODES for p in ipc_prefixes(code)} | {"B", "G06F 1"})
PROVINCES = (None, "浙江省", "湖北省")
INDUSTRIES = (None, "C34", "C35", "I65", "A01")
INDUSTRY_FILTERS = ("C", "C34", "I", "I65", "A01", "B06")
YEARS = (0.0, 0.5, 1.0, 5.0, 10.0, 19.99)
_serial = itertools.count(1)


def near(value: float) -> st.SearchStrategy[float]:
    """Return floats at and just either side of `value`, and its nearest single-precision float."""
    single = float(np.float32(value))
    return st.sampled_from([math.nextafter(value, -math.inf), value, value + 1e-7, single])


@dataclass(frozen=True)
class Drawn:
    holder: int
    patent_type: PatentType
    province: str | None
    industry: str | None
    codes: tuple[str, ...]
    rate: float | None
    expiry_days: int  # from today
    licence_days: int  # from today to the end of the open licence
    status: ListingStatus


expiry_days = st.one_of(
    st.integers(-400, 8_000),
    st.sampled_from(YEARS).flatmap(
        lambda y: st.sampled_from([round(y * 365.25) + d for d in (-1, 0, 1)])
    ),
)
rates = st.one_of(st.none(), st.decimals(min_value="0.001", max_value="100", places=3).map(float))
listings = st.builds(
    Drawn,
    holder=st.integers(0, 2),
    patent_type=st.sampled_from(PatentType),
    province=st.sampled_from(PROVINCES),
    industry=st.sampled_from(INDUSTRIES),
    codes=st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True).map(tuple),
    rate=rates,
    expiry_days=expiry_days,
    licence_days=st.integers(-2, 2),
    status=st.sampled_from([ListingStatus.ACTIVE] * 3 + list(ListingStatus)),
)


@st.composite
def filters_for(draw: st.DrawFn, drawn: list[Drawn]) -> ListingFilters:
    """Return random active-listing filters, each often set to what one drawn listing has.

    Aiming at one listing keeps it passing every other filter, so that the boundary a single
    filter cuts at (a rate cap next to its rate, a term next to its expiry) decides.
    """
    active = [d for d in drawn if d.status is ListingStatus.ACTIVE and d.expiry_days >= 0]
    target = draw(st.sampled_from(active or drawn))

    def one(aimed: object, other: st.SearchStrategy[object]) -> object:
        return draw(
            st.sampled_from(["off", "off", "aimed", "other"]).flatmap(
                lambda how: (
                    st.none() if how == "off" else st.just(aimed) if how == "aimed" else other
                )
            )
        )

    cap = st.floats(min_value=0.001, max_value=100)
    return ListingFilters(
        ipc_prefix=one(
            draw(st.sampled_from(ipc_prefixes(target.codes[0]))), st.sampled_from(PREFIXES)
        ),  # type: ignore[arg-type]
        patent_type=one(target.patent_type, st.sampled_from(PatentType)),  # type: ignore[arg-type]
        province=one(target.province, st.sampled_from(PROVINCES[1:])),  # type: ignore[arg-type]
        industry_code=one(
            target.industry and target.industry[: draw(st.sampled_from([1, 3]))],
            st.sampled_from(INDUSTRY_FILTERS),
        ),  # type: ignore[arg-type]
        holder_id=one(target.holder, st.integers(0, 3)),  # type: ignore[arg-type]
        max_rate_percent=one(target.rate, cap)
        if target.rate is None
        else one(draw(near(target.rate)), cap),  # type: ignore[arg-type]
        min_remaining_years=one(draw(st.sampled_from(YEARS)), st.floats(0, 30)),  # type: ignore[arg-type]
    )


def write(session: Session, holders: list[Organisation], drawn: Drawn, today: date) -> None:
    term = 3
    published = licence_publication(today + timedelta(days=drawn.licence_days), term)
    session.add(
        Listing(
            organisation=holders[drawn.holder],
            patent_number=f"TEST{next(_serial):010d}",
            title="t",
            abstract="a",
            ipc_codes=list(drawn.codes),
            ipc_search=";" + ";".join(drawn.codes) + ";",
            patent_type=drawn.patent_type,
            application_date=date(2015, 1, 1),
            expiry_date=today + timedelta(days=drawn.expiry_days),
            industry_code=drawn.industry,
            province=drawn.province,
            royalty_type=RoyaltyType.NEGOTIABLE if drawn.rate is None else RoyaltyType.PERCENTAGE,
            rate_percent=drawn.rate,
            licence_term_years=term,
            status=drawn.status,
            content_hash="0" * 64,
            created_at=datetime.combine(published, datetime.min.time(), tzinfo=UTC),
        )
    )


def licence_publication(end: date, term: int) -> date:
    """Return a publication day whose open licence of `term` years ends on `end`."""
    published = end.replace(year=end.year - term) if (end.month, end.day) != (2, 29) else end
    assert add_years(published, term) == end
    return published


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.data(),
    drawn=st.lists(listings, min_size=1, max_size=12),
    today=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
)
def test_sql_and_memory_filters_select_the_same_listings(
    session: Session, data: st.DataObject, drawn: list[Drawn], today: date
) -> None:
    filters = data.draw(filters_for(drawn))

    in_sql, in_memory = both_forms(session, drawn, filters, today)

    assert in_sql == in_memory


TODAY = date(2025, 6, 1)
BASE = Drawn(
    0, PatentType.INVENTION, "浙江省", "C34", ("G06N 3/08",), 3.001, 4_000, 5, ListingStatus.ACTIVE
)


@pytest.mark.parametrize(
    ("changes", "filters", "passes"),
    [
        ({"expiry_days": 0}, ListingFilters(), True),  # the term ends today: still in term
        ({"expiry_days": -1}, ListingFilters(), False),  # ended yesterday, not yet expired
        ({"licence_days": 0}, ListingFilters(), True),  # licence ends today: the nightly job's
        ({"licence_days": -1}, ListingFilters(), True),  # ... not the filters'
        ({"expiry_days": 365}, ListingFilters(min_remaining_years=1.0), True),
        ({"expiry_days": 364}, ListingFilters(min_remaining_years=1.0), False),
        ({"expiry_days": 730}, ListingFilters(min_remaining_years=2.0), True),
        ({"expiry_days": 729}, ListingFilters(min_remaining_years=2.0), False),
        ({}, ListingFilters(max_rate_percent=3.001), True),
        ({}, ListingFilters(max_rate_percent=float(np.float32(3.001))), False),  # just below
        ({"rate": None}, ListingFilters(max_rate_percent=0.5), True),
        ({}, ListingFilters(industry_code="C"), True),
        ({}, ListingFilters(ipc_prefix="G06N 3"), True),
        ({}, ListingFilters(ipc_prefix="G06N 30"), False),
        ({"status": ListingStatus.WITHDRAWN}, ListingFilters(), False),
    ],
)
def test_both_forms_cut_at_the_same_boundary(
    session: Session, changes: dict[str, object], filters: ListingFilters, passes: bool
) -> None:
    listing = replace(BASE, **changes)  # type: ignore[arg-type]

    in_sql, in_memory = both_forms(session, [listing], filters, TODAY)

    assert (in_sql != [], in_memory != []) == (passes, passes)


def both_forms(
    session: Session, drawn: list[Drawn], filters: ListingFilters, today: date
) -> tuple[list[int], list[int]]:
    """Return the ids each form selects among `drawn`, written to the database and rolled back."""
    savepoint = session.begin_nested()
    try:
        holders = [
            organisations.ensure(session=session, name=f"机构{i}", kind=OrganisationKind.UNIVERSITY)
            for i in range(3)
        ]
        for item in drawn:
            write(session, holders, item, today)
        session.flush()
        # Holder ids in the filters are indexes into this example's holders (3: nobody).
        if filters.holder_id is not None:
            held = holders[filters.holder_id].id if filters.holder_id < 3 else -1
            filters = replace(filters, holder_id=held)
        query = select(Listing.id).where(*conditions(filters, today), in_term(today))
        in_sql = sorted(session.scalars(query))
        table = FactTable()
        for facts in active_facts(session):
            table.upsert(facts)
        allowed = table.allowed(filters, today)
        in_memory = sorted(table.ids().tolist() if allowed is None else allowed.tolist())
    finally:
        savepoint.rollback()
    return in_sql, in_memory


def test_remaining_term_cutoff_rounds_days_per_year_to_whole_days() -> None:
    # 1 year is 365.25 days, 2 years 730.5: both round to whole days (730.5 to even, 730).
    assert term_cutoff(1.0, date(2025, 6, 1)) == date(2026, 6, 1)
    assert term_cutoff(2.0, date(2025, 6, 1)) == date(2027, 6, 1)
    assert term_cutoff(3.0, date(2025, 6, 1)) == date(2028, 6, 1)
