"""Listing filters: one rule, in its two forms side by side.

The listing catalogue (`GET /v1/listings`) filters in SQL; a search filters the API process's
fact table in memory (`app.search.facts`), because a table scan per query would not keep up
at 100k listings. Both forms are written here, clause by clause in the same order, and
`tests/app/search/test_filters_agree.py` proves on a real database that they pick the same
listings, date boundaries included. A new filter is added to both or to neither.

Two things only one form consults, by design:
- `status` and `patent_number`: the fact table holds only active listings and a search never
  filters by number, so the in-memory form is asked for active listings only;
- the patent term: the fact table leaves out a patent whose term ended before `today` even
  before the nightly job (`app.search.reindex.expiry`) marks it expired, while the catalogue
  shows it by its stored status until then. `in_term` is that cut in SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, or_

from app.models import Listing, ListingStatus, PatentType

# A year of patent term, in days: remaining years are shown and filtered with this one figure.
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class ListingFilters:
    """Filters of the listing catalogue; `None` means no filter on that field."""

    ipc_prefix: str | None = None
    patent_type: PatentType | None = None
    province: str | None = None
    industry_code: str | None = None
    holder_id: int | None = None
    status: ListingStatus | None = ListingStatus.ACTIVE
    max_rate_percent: float | None = None
    min_remaining_years: float | None = None
    patent_number: str | None = None


def remaining_years(expiry_date: date, today: date | None = None) -> float:
    """Return the years of patent term left, never negative."""
    days = (expiry_date - (today or date.today())).days
    return round(max(days, 0) / DAYS_PER_YEAR, 2)


def term_cutoff(min_remaining_years: float, today: date) -> date:
    """Return the first expiry date that leaves at least `min_remaining_years` of term."""
    return today + timedelta(days=round(min_remaining_years * DAYS_PER_YEAR))


# --- SQL form ---------------------------------------------------------------------------------


def conditions(filters: ListingFilters, today: date | None = None) -> list[ColumnElement[bool]]:
    """Return the SQL conditions a listing row must meet to pass `filters`."""
    where: list[ColumnElement[bool]] = []
    if filters.status is not None:
        where.append(Listing.status == filters.status)
    if filters.patent_number:
        where.append(Listing.patent_number == filters.patent_number)
    if filters.patent_type is not None:
        where.append(Listing.patent_type == filters.patent_type)
    if filters.province:
        where.append(Listing.province == filters.province)
    if filters.industry_code:
        if len(filters.industry_code) == 1:  # a section: every division under it
            where.append(Listing.industry_code.like(filters.industry_code + "%"))
        else:
            where.append(Listing.industry_code == filters.industry_code)
    if filters.holder_id is not None:
        where.append(Listing.organisation_id == filters.holder_id)
    if filters.max_rate_percent is not None:
        # Only a declared percentage can exceed a cap; fixed, free and negotiable terms pass.
        where.append(
            or_(Listing.rate_percent.is_(None), Listing.rate_percent <= filters.max_rate_percent)
        )
    if filters.min_remaining_years is not None:
        cutoff = term_cutoff(filters.min_remaining_years, today or date.today())
        where.append(Listing.expiry_date >= cutoff)
    if filters.ipc_prefix:
        pattern = ";" + _escape_like(filters.ipc_prefix) + _ipc_boundary(filters.ipc_prefix)
        where.append(Listing.ipc_search.like("%" + pattern + "%", escape="\\"))
    return where


def in_term(today: date) -> ColumnElement[bool]:
    """Return the SQL condition that a listing's patent term has not ended before `today`."""
    return Listing.expiry_date >= today


def _ipc_boundary(prefix: str) -> str:
    # What must follow the prefix in a stored code, so that the group "G06F 16" does not
    # match "G06F 160/01" and a full code matches only itself.
    if "/" in prefix:
        return ";"
    if " " in prefix:
        return "/"
    return " " if len(prefix) == 4 else ""


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- In-memory form ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FactColumns:
    """The fact table's columns that filters read, one row per slot, and its two lookups.

    `code` gives the integer a string value is stored as (-1 when no listing has it);
    `ipc_members` gives the ids filed under an IPC prefix, sorted.
    """

    ids: npt.NDArray[np.int64]
    alive: npt.NDArray[np.bool_]
    organisation: npt.NDArray[np.int64]
    patent_type: npt.NDArray[np.int16]
    province: npt.NDArray[np.int32]
    division: npt.NDArray[np.int32]
    section: npt.NDArray[np.int32]
    rate: npt.NDArray[np.float64]
    expiry: npt.NDArray[np.int32]
    code: Callable[[str], int]
    ipc_members: Callable[[str], npt.NDArray[np.int64]]


def passing_ids(
    filters: ListingFilters, today: date, columns: FactColumns
) -> npt.NDArray[np.int64] | None:
    """Return the ids in `columns` that pass `filters` on `today`, sorted; None: all pass.

    Only active listings are in the columns, so `status` and `patent_number` are not read.
    """
    c = columns
    mask = c.alive & (c.expiry >= today.toordinal())  # in_term
    filtered = not bool(mask.sum() == np.count_nonzero(c.alive))
    if filters.patent_type is not None:
        mask &= c.patent_type == c.code(filters.patent_type.value)
        filtered = True
    if filters.province:
        mask &= c.province == c.code(filters.province)
        filtered = True
    if filters.industry_code:
        column = c.section if len(filters.industry_code) == 1 else c.division
        mask &= column == c.code(filters.industry_code)
        filtered = True
    if filters.holder_id is not None:
        mask &= c.organisation == filters.holder_id
        filtered = True
    if filters.max_rate_percent is not None:
        mask &= np.isnan(c.rate) | (c.rate <= filters.max_rate_percent)
        filtered = True
    if filters.min_remaining_years is not None:
        mask &= c.expiry >= term_cutoff(filters.min_remaining_years, today).toordinal()
        filtered = True
    ids = c.ids[mask]
    if filters.ipc_prefix:
        members = c.ipc_members(filters.ipc_prefix)
        if members.size:
            at = np.searchsorted(members, ids).clip(max=members.size - 1)
            ids = ids[members[at] == ids]
        else:
            ids = ids[:0]
        filtered = True
    if not filtered:
        return None
    ids = np.sort(ids)
    ids.flags.writeable = False
    return ids
