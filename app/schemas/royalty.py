"""The royalty suggestion of a listing: in brief for result lists, whole with its words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from app.core.i18n import Localized
from matching.royalty import RoyaltySuggestion


class FigureRange(BaseModel):
    low: float
    mid: float
    high: float


class RoyaltyGuidance(BaseModel):
    """Royalty guidance in words a manager reads, in the request's language, numbers sourced.

    Each number in the text is followed by the ids of its sources (〔…〕 or […]), each named in
    full in the suggestion's `sources`.
    """

    summary: Localized
    method_label: Localized
    method: Localized  # how the range was worked out, with the figures used
    confidence_label: Localized
    confidence_reason: Localized
    how_to_improve: list[Localized]  # the data that would raise the confidence
    sales_basis: Localized  # the annual sales and the licence term the fees are priced for
    lump_sum: Localized
    entry_fee: Localized
    budget: Localized | None  # the fees against the licensee's budget, when it gave one
    declared: Localized | None  # the listing's declared fee against the range


class RoyaltyBrief(BaseModel):
    """The headline of a royalty suggestion, for result lists; `detail` returns all of it.

    The figures are those of the full suggestion for the same listing, industry, sales and
    budget, which `detail` carries; `sources` are the ids of the sources behind the range, each
    named in full at `detail`.
    """

    rate_pct: FigureRange  # % of net sales
    lump_sum_yuan: FigureRange
    entry_fee_yuan: FigureRange
    running_royalty_pct: FigureRange  # % of net sales, paid beside the entry fee
    term_years: float
    annual_sales_yuan: float  # the sales the lump sum is priced for
    # demand (the demand's annual_sales_yuan), given (by the search or request) or example
    annual_sales_origin: Literal["demand", "given", "example"]
    budget_yuan: float | None  # the demand's budget, compared with the fees, never priced from
    lump_sum_pct_of_budget: FigureRange | None
    industry_code: str | None
    industry_origin: str
    method: str
    level: str
    fallback: Localized | None  # the better evidence looked for and not found, in words
    confidence: str
    declared_position: str | None
    declared_flagged: bool
    declared_reason: Localized | None
    guidance: RoyaltyGuidance
    sources: list[str]
    detail: str


@dataclass(frozen=True)
class RoyaltyRead(RoyaltySuggestion):
    """A whole royalty suggestion, as `GET /v1/listings/{id}/royalty` returns it, in words too."""

    guidance: RoyaltyGuidance
