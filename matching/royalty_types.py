"""The types of royalty guidance: the request, and a suggestion whose every number is sourced.

A `Figure` or `Coefficient` names the ids of its sources; `RoyaltySuggestion.sources` holds each
source those ids name. `INPUT` is the id of the caller's own figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from matching.royalty_tables import Source

PatentKind = Literal["invention", "utility_model", "design"]
Exclusivity = Literal["non_exclusive", "sole", "exclusive"]
Confidence = Literal["very_low", "low", "medium", "high"]
CONFIDENCE_ORDER: tuple[Confidence, ...] = ("very_low", "low", "medium", "high")
INPUT = "input"
INPUT_SOURCE = Source(
    id=INPUT,
    title="The caller's own figures (listing record and request parameters)",
    publisher="PatentBridge request",
    year="",
    reference="request",
    trust="as given",
)


@dataclass(frozen=True)
class DeclaredFee:
    """The open-licence fee a TTO declared for the listing."""

    royalty_type: str
    rate_pct: float | None = None
    fixed_fee_yuan: float | None = None
    entry_fee_yuan: float | None = None
    term_years: int | None = None


@dataclass(frozen=True)
class RoyaltyRequest:
    """What the model needs to know about the patent and the licence asked for."""

    patent_type: PatentKind
    remaining_years: float
    granted: bool = True
    exclusivity: Exclusivity = "non_exclusive"
    licensee_industry: str | None = None
    listing_industry: str | None = None
    ipc_codes: tuple[str, ...] = ()
    declared: DeclaredFee | None = None
    annual_sales_yuan: float | None = None


@dataclass(frozen=True)
class Figure:
    """A number with its unit and the ids of the sources it is derived from."""

    label: str
    value: float
    unit: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Coefficient:
    """A named adjustment multiplied into the base rate, with its reason."""

    name: str
    value: float
    reason: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class RateRange:
    """A low / mid / high triple of figures."""

    low: Figure
    mid: Figure
    high: Figure


@dataclass(frozen=True)
class IndustryChoice:
    """Which industry the range is for, and how it was chosen."""

    code: str | None
    origin: Literal["licensee", "listing", "ipc", "none"]
    detail: str


@dataclass(frozen=True)
class Evidence:
    """The base the method used: which table, at which industry level, and any fallback."""

    method: Literal["industry_licence_statistics", "profit_split"]
    level: Literal["division", "section", "national"]
    industry_code: str
    fallback: str | None
    description: str


@dataclass(frozen=True)
class SanityCheck:
    """Where the middle of the range sits against published royalty rates."""

    band_low: Figure
    band_high: Figure
    position: Literal["below", "within", "above"]
    note: str


@dataclass(frozen=True)
class PaymentForms:
    """The same licence priced three ways over `term_years` at `annual_sales_yuan`."""

    annual_sales_yuan: Figure
    term_years: Figure
    lump_sum_yuan: RateRange
    entry_fee_yuan: RateRange
    running_royalty_pct: RateRange
    note: str


@dataclass(frozen=True)
class DeclaredAssessment:
    """The listing's declared fee placed against the range, flagged when far outside."""

    royalty_type: str
    declared: tuple[Figure, ...]
    position: Literal["within", "below", "above", "far_below", "far_above", "free", "negotiable"]
    flagged: bool
    reason: str


@dataclass(frozen=True)
class RoyaltySuggestion:
    """A royalty range with every input, coefficient and source behind it."""

    rate_pct: RateRange
    base_rate_pct: RateRange
    evidence: Evidence
    industry: IndustryChoice
    coefficients: tuple[Coefficient, ...]
    cap_applied: bool
    sanity: SanityCheck
    payment: PaymentForms
    declared: DeclaredAssessment | None
    confidence: Confidence
    confidence_reasons: tuple[str, ...]
    inputs: tuple[Figure, ...]
    exclusivity: Exclusivity
    patent_type: PatentKind
    context: tuple[Figure, ...]
    notes: tuple[str, ...]
    sources: tuple[Source, ...]
