"""Statutory patent terms and the whole-year arithmetic that patent and licence ends share."""

from __future__ import annotations

from datetime import date

from app.models import PatentType
from app.validation.terms import add_years, term_years


def test_add_years_counts_whole_years_and_moves_29_february_to_the_28th() -> None:
    assert add_years(date(2023, 5, 31), 3) == date(2026, 5, 31)
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)


def test_term_years_follows_the_patent_kind_and_the_2021_design_amendment() -> None:
    assert term_years(PatentType.INVENTION, date(2010, 1, 1)) == 20
    assert term_years(PatentType.UTILITY_MODEL, date(2022, 1, 1)) == 10
    assert term_years(PatentType.DESIGN, date(2021, 5, 31)) == 10
    assert term_years(PatentType.DESIGN, date(2021, 6, 1)) == 15
