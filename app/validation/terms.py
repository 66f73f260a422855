"""Statutory patent terms: how long a patent of each kind runs, and whole-year date arithmetic."""

from __future__ import annotations

from datetime import date

from app.models import PatentType

# Design patents applied for from 2021-06-01 run 15 years (Patent Law 2020 amendment).
_DESIGN_15_YEARS_FROM = date(2021, 6, 1)


def term_years(patent_type: PatentType, application_date: date) -> int:
    """Return the statutory term in years of a patent of this type and application date."""
    if patent_type is PatentType.INVENTION:
        return 20
    if patent_type is PatentType.UTILITY_MODEL:
        return 10
    return 15 if application_date >= _DESIGN_15_YEARS_FROM else 10


def add_years(day: date, years: int) -> date:
    """Return the same calendar day `years` later (28 February for a 29 February start)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
