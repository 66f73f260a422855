"""The bodies of matching: filters, an ad-hoc search, match pages and feedback."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from app.models import PatentType, Verdict
from app.schemas.common import (
    AnnualSales,
    IndustryCode,
    OptionalText,
    RowId,
    StrictBody,
    Text,
    blank_to_none,
)
from app.schemas.demands import DemandRead
from app.schemas.listings import ListingRead
from app.schemas.royalty import RoyaltyBrief


class FeedbackCreate(StrictBody):
    demand_id: RowId
    listing_id: RowId
    verdict: Verdict
    reason: OptionalText = Field(default=None, max_length=1000)


class MatchFilters(StrictBody):
    """Filters of a match or search; every one is optional."""

    ipc: str | None = Field(default=None, description="IPC prefix: G, G06, G06F, G06F 16")
    patent_type: PatentType | None = None
    province: str | None = None
    industry_code: str | None = Field(default=None, description="GB/T 4754 section or division")
    holder_id: RowId | None = None
    max_rate_percent: float | None = Field(default=None, gt=0, le=100)
    min_remaining_years: float | None = Field(default=None, ge=0, le=30)


class SearchRequest(StrictBody):
    """An ad-hoc search: a need described in plain Chinese or English, not saved."""

    text: Text = Field(min_length=2, max_length=5_000)
    industry_code: Annotated[IndustryCode | None, BeforeValidator(blank_to_none)] = Field(
        default=None, description="the searcher's own industry, for the classification fit"
    )
    annual_sales_yuan: AnnualSales | None = Field(
        default=None,
        description="the searcher's expected annual net sales of the product, in yuan; the "
        "results' lump sum and entry fee are priced for it (without it, for an example)",
    )
    filters: MatchFilters = Field(default_factory=MatchFilters)
    limit: int = Field(default=10, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=1_000)


class ScoreComponents(BaseModel):
    """The evidence behind a score: cosine similarity, BM25 score, industry fit (0, 0.5, 1)."""

    semantic: float | None
    lexical: float | None
    classification: float | None


class MatchExplanation(BaseModel):
    terms_found: list[str]
    best_sentence: str | None


class ListingMatch(BaseModel):
    listing: ListingRead
    score: float
    components: ScoreComponents
    explanation: MatchExplanation
    feedback: Verdict | None = None
    # Royalty guidance for the searcher's industry (issue 4), in brief: the full suggestion
    # (8 KB of inputs, coefficients and sources) is one request away at `royalty.detail`.
    royalty: RoyaltyBrief | None = None


class ListingMatchPage(BaseModel):
    items: list[ListingMatch]
    total: int
    limit: int
    offset: int
    index_version: str


class DemandMatch(BaseModel):
    demand: DemandRead
    score: float
    components: ScoreComponents
    explanation: MatchExplanation


class DemandMatchPage(BaseModel):
    items: list[DemandMatch]
    total: int
    limit: int
    offset: int
    index_version: str


class FeedbackRead(BaseModel):
    id: int
    demand_id: int
    listing_id: int
    verdict: Verdict
    reason: str | None
    created_at: datetime
    updated_at: datetime
