"""Royalty guidance for listings: the shipped tables, the operator's imports, one suggestion.

The shipped tables (`data/royalty/`) are read once per process. Imported tables are read from
the database only when they change: each call costs one small query over `royalty_tables`
(id, import time and content hash of every import), and the rows are loaded again only when
that answer differs from the one cached. Suggestions are memoised per (request, tables), so a
listing shown on many result pages is priced once.

Owner of the royalty caches: this module. Invalidation: `current_tables` compares the import
stamp on every call, and every other cache here is keyed by the tables object, which a new
import replaces; the shipped tables change only with a deploy (docs/caches.md).
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import replace
from functools import cache, lru_cache
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import InvalidInput
from app.core.i18n import reason_of
from app.models import Listing, RoyaltyTable, RoyaltyTableKind, RoyaltyTableRow
from app.schemas import FigureRange, RoyaltyBrief, RoyaltyRead
from app.search.filters import remaining_years
from app.services.royalty import words as royalty_words
from app.services.royalty.payment_words import GivenBy
from app.validation.industry import DATA_DIR, normalize_industry_code
from matching.royalty import (
    DeclaredFee,
    Exclusivity,
    LicenceStat,
    Margin,
    PatentKind,
    RateRange,
    RoyaltyRequest,
    RoyaltySuggestion,
    RoyaltyTables,
    Source,
    load_tables,
    suggest,
)

ROYALTY_DATA_DIR = DATA_DIR / "royalty"
_SUGGESTION_CACHE_SIZE = 20_000

_lock = threading.Lock()
_cached: tuple[tuple[tuple[int, str, str], ...], RoyaltyTables] | None = None


@cache
def shipped_tables() -> RoyaltyTables:
    """Return the tables the project ships, read once per process."""
    return load_tables(ROYALTY_DATA_DIR)


def current_tables(session: Session) -> RoyaltyTables:
    """Return the shipped tables with every imported table laid over them, newest first."""
    global _cached
    stamp = tuple(
        (row.id, row.imported_at.isoformat(), row.content_hash)
        for row in session.execute(
            select(RoyaltyTable.id, RoyaltyTable.imported_at, RoyaltyTable.content_hash).order_by(
                RoyaltyTable.id
            )
        )
    )
    with _lock:
        if _cached is not None and _cached[0] == stamp:
            return _cached[1]
    tables = _with_imports(session, shipped_tables()) if stamp else shipped_tables()
    with _lock:
        _cached = (stamp, tables)
    return tables


def _with_imports(session: Session, base: RoyaltyTables) -> RoyaltyTables:
    imports = list(
        session.scalars(
            select(RoyaltyTable).order_by(
                RoyaltyTable.year.desc(), RoyaltyTable.imported_at.desc(), RoyaltyTable.id.desc()
            )
        )
    )
    rows_by_table: dict[int, list[RoyaltyTableRow]] = {}
    for row in session.scalars(select(RoyaltyTableRow).order_by(RoyaltyTableRow.row_number)):
        rows_by_table.setdefault(row.table_id, []).append(row)
    sources: list[Source] = []
    margins: list[Margin] = []
    stats: list[LicenceStat] = []
    for table in imports:
        source_id = f"import-{table.id}"
        sources.append(
            Source(
                id=source_id,
                title=table.source_title,
                publisher=_PUBLISHER[table.kind],
                year=str(table.year),
                reference=table.source_reference,
                trust=f"official table imported by the operator from {table.filename}",
            )
        )
        for row in rows_by_table.get(table.id, []):
            if table.kind is RoyaltyTableKind.NBS_INDUSTRY_PROFIT and row.margin_pct is not None:
                margins.append(
                    Margin(row.industry_code, table.year, row.margin_pct, source_id, "imported")
                )
            elif table.kind is RoyaltyTableKind.CNIPA_LICENCE_STATS:
                stats.append(
                    LicenceStat(
                        code=row.industry_code,
                        year=table.year,
                        source=source_id,
                        contracts=row.contracts,
                        rate_mean_pct=row.rate_mean_pct,
                        rate_median_pct=row.rate_median_pct,
                        rate_p25_pct=row.rate_p25_pct,
                        rate_p75_pct=row.rate_p75_pct,
                        fixed_fee_mean_yuan=row.fixed_fee_mean_yuan,
                    )
                )
    return base.with_imports(sources=sources, margins=margins, licence_stats=stats)


_PUBLISHER = {
    RoyaltyTableKind.CNIPA_LICENCE_STATS: "国家知识产权局 (CNIPA), imported",
    RoyaltyTableKind.NBS_INDUSTRY_PROFIT: "国家统计局 (NBS), imported",
}


def licensee_industry(raw: str | None, loc: tuple[str | int, ...]) -> str | None:
    """Return the canonical GB/T 4754 code of a licensee industry, or raise InvalidInput."""
    if raw is None or not raw.strip():
        return None
    try:
        return normalize_industry_code(raw)
    except ValueError as exc:
        raise InvalidInput(reason_of(exc), loc=loc) from exc


def request_for(
    listing: Listing,
    *,
    licensee_industry: str | None = None,
    exclusivity: Exclusivity = "non_exclusive",
    annual_sales_yuan: float | None = None,
    budget_yuan: float | None = None,
) -> RoyaltyRequest:
    """Return the royalty model's input for a stored listing."""
    patent_type: PatentKind = listing.patent_type.value
    return RoyaltyRequest(
        patent_type=patent_type,
        remaining_years=remaining_years(listing.expiry_date),
        granted=listing.grant_date is not None,
        exclusivity=exclusivity,
        licensee_industry=licensee_industry,
        listing_industry=listing.industry_code,
        ipc_codes=tuple(listing.ipc_codes or ()),
        declared=DeclaredFee(
            royalty_type=listing.royalty_type.value,
            rate_pct=listing.rate_percent,
            fixed_fee_yuan=listing.fixed_fee_yuan,
            entry_fee_yuan=listing.entry_fee_yuan,
            term_years=listing.licence_term_years,
        ),
        annual_sales_yuan=annual_sales_yuan,
        budget_yuan=budget_yuan,
    )


@lru_cache(maxsize=_SUGGESTION_CACHE_SIZE)
def suggestion_for(request: RoyaltyRequest, tables: RoyaltyTables) -> RoyaltySuggestion:
    """Return the suggestion for `request` under `tables` (memoised: both are immutable)."""
    return suggest(request, tables)


def read_for_listing(
    listing: Listing,
    *,
    tables: RoyaltyTables,
    licensee_industry: str | None = None,
    exclusivity: Exclusivity = "non_exclusive",
    annual_sales_yuan: float | None = None,
    budget_yuan: float | None = None,
) -> RoyaltyRead:
    """Return the whole royalty suggestion for a listing under `tables`, in words too."""
    request = request_for(
        listing,
        licensee_industry=licensee_industry,
        exclusivity=exclusivity,
        annual_sales_yuan=annual_sales_yuan,
        budget_yuan=budget_yuan,
    )
    suggestion = suggestion_for(request, tables)
    words = royalty_words.guidance(suggestion, tables, given_by="request")
    fields = {f.name: getattr(suggestion, f.name) for f in dataclasses.fields(suggestion)}
    return RoyaltyRead(**fields, guidance=words)


def brief_for_request(
    request: RoyaltyRequest,
    *,
    tables: RoyaltyTables,
    listing_id: int,
    licensee_industry: str | None,
    given_by: GivenBy,
    annual_sales_yuan: float | None = None,
    budget_yuan: float | None = None,
) -> RoyaltyBrief:
    """Return the brief of a listing's suggestion, as match results carry it (memoised).

    `request` is the listing's `request_for` for no licensee in particular; the licensee's
    industry, expected sales and budget (a demand's, or a search's: `given_by`) are set here.
    The fees are priced for those sales when given, else for the example sales; the budget is
    set beside them, never priced from.
    """
    request = replace(
        request,
        licensee_industry=licensee_industry,
        annual_sales_yuan=annual_sales_yuan,
        budget_yuan=budget_yuan,
    )
    return _brief(request, tables, listing_id, given_by)


@lru_cache(maxsize=_SUGGESTION_CACHE_SIZE)
def _brief(
    request: RoyaltyRequest, tables: RoyaltyTables, listing_id: int, given_by: GivenBy
) -> RoyaltyBrief:
    suggestion = suggestion_for(request, tables)
    return brief(suggestion, tables, listing_id=listing_id, request=request, given_by=given_by)


def brief(
    suggestion: RoyaltySuggestion,
    tables: RoyaltyTables,
    *,
    listing_id: int,
    request: RoyaltyRequest,
    given_by: GivenBy,
) -> RoyaltyBrief:
    """Return the headline of a suggestion and the path of the whole of it."""
    rate, payment = suggestion.rate_pct, suggestion.payment
    sources = dict.fromkeys(s for f in (rate.low, rate.mid, rate.high) for s in f.sources)
    declared = suggestion.declared
    words = royalty_words.guidance(suggestion, tables, given_by=given_by)
    # The model knows only that sales were given; whether by a demand is known here.
    from_demand = payment.sales_origin == "given" and given_by == "demand"
    return RoyaltyBrief(
        rate_pct=_figures(rate),
        lump_sum_yuan=_figures(payment.lump_sum_yuan),
        entry_fee_yuan=_figures(payment.entry_fee_yuan),
        running_royalty_pct=_figures(payment.running_royalty_pct),
        term_years=payment.term_years.value,
        annual_sales_yuan=payment.annual_sales_yuan.value,
        annual_sales_origin="demand" if from_demand else payment.sales_origin,
        budget_yuan=None if payment.budget is None else payment.budget.budget_yuan.value,
        lump_sum_pct_of_budget=(
            None if payment.budget is None else _figures(payment.budget.lump_sum_pct_of_budget)
        ),
        industry_code=suggestion.industry.code,
        industry_origin=suggestion.industry.origin,
        method=suggestion.evidence.method,
        level=suggestion.evidence.level,
        fallback=royalty_words.fallback_words(suggestion.evidence.fallback),
        confidence=suggestion.confidence,
        declared_position=None if declared is None else declared.position,
        declared_flagged=False if declared is None else declared.flagged,
        declared_reason=words.declared,
        guidance=words,
        sources=list(sources),
        detail=_detail_path(listing_id, request),
    )


def _figures(rates: RateRange) -> FigureRange:
    return FigureRange(low=rates.low.value, mid=rates.mid.value, high=rates.high.value)


def _detail_path(listing_id: int, request: RoyaltyRequest) -> str:
    """Return the path of the whole suggestion for the same industry, sales and budget."""
    query: dict[str, str] = {}
    if request.licensee_industry:
        query["industry_code"] = request.licensee_industry
    for name, amount in (
        ("annual_sales_yuan", request.annual_sales_yuan),
        ("budget_yuan", request.budget_yuan),
    ):
        if amount is not None:
            query[name] = f"{amount:.2f}".rstrip("0").rstrip(".")
    path = f"/v1/listings/{listing_id}/royalty"
    return f"{path}?{urlencode(query)}" if query else path
