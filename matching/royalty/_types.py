"""The types of royalty guidance: the request, and a suggestion whose every number is sourced.

A `Figure` or `Coefficient` names the ids of its sources; `RoyaltySuggestion.sources` holds each
source those ids name. `INPUT` is the id of the caller's own figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from matching.royalty._tables import Source

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


# Why a suggestion is as sure as it is, and what would make it surer: codes with parameters, so
# that the caller words them (in any language) and a program can read them.
ReasonCode = Literal[
    "licence_statistics",  # industry, level, year, contracts?: the base is recorded licences
    "no_licence_statistics",  # industry: none imported for it (a section's were used)
    "industry_margin",  # industry, level, year, margin_pct: profit split on that margin
    "national_margin",  # year, margin_pct: profit split on the national industrial margin
    "no_margin",  # industry: no sourced profit margin for it
    "loss_making",  # industry, year: it made no profit that year
    "outside_industrial_total",  # industry: the national margin covers sections B, C, D only
    "industry_from_ipc",  # ipc, industry: the industry is inferred from an IPC code
    "no_industry",  # nothing says which industry the licensee is in
]
ImprovementCode = Literal[
    "import_licence_statistics",  # industry, to: import CNIPA licence statistics for it
    "import_margins",  # industry, to: import an NBS profit table that covers it
    "state_industry",  # say the licensee's industry (a demand's or the request's industry code)
]
Param = str | int | float


@dataclass(frozen=True)
class Reason:
    """Why the confidence is what it is: a code and the figures it speaks of."""

    code: ReasonCode
    params: dict[str, Param] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Improvement:
    """Data that would raise the confidence, and the level it would reach (`to`, when known)."""

    code: ImprovementCode
    params: dict[str, Param] = field(default_factory=dict, hash=False)


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
    # What the licensee says it can pay: compared with the fee, never taken for its sales.
    budget_yuan: float | None = None


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
    ipc_code: str | None = None  # the IPC code the industry was inferred from


@dataclass(frozen=True)
class Evidence:
    """The base the method used: which table, at which industry level, and any fallback."""

    method: Literal["industry_licence_statistics", "profit_split"]
    level: Literal["division", "section", "national"]
    industry_code: str
    fallback: tuple[Reason, ...]  # the better evidence looked for and not found, in order
    basis: Reason  # the evidence used, with its figures
    description: str


@dataclass(frozen=True)
class SanityCheck:
    """Where the middle of the range sits against published royalty rates."""

    band_low: Figure
    band_high: Figure
    position: Literal["below", "within", "above"]
    note: str


@dataclass(frozen=True)
class Affordability:
    """The up-front costs against the licensee's budget, and the sales the budget would buy."""

    budget_yuan: Figure
    lump_sum_pct_of_budget: RateRange
    entry_fee_pct_of_budget: RateRange
    # Annual sales at which the middle lump sum equals the budget; None when it costs nothing.
    sales_covered_yuan: Figure | None


@dataclass(frozen=True)
class PaymentForms:
    """The same licence priced three ways over `term_years` at `annual_sales_yuan`."""

    annual_sales_yuan: Figure
    sales_origin: Literal["given", "example"]
    term_years: Figure
    term_origin: Literal["declared", "recorded_average", "remaining_term"]
    lump_sum_yuan: RateRange
    entry_fee_yuan: RateRange
    running_royalty_pct: RateRange
    budget: Affordability | None
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
    confidence_reasons: tuple[Reason, ...]
    improvements: tuple[Improvement, ...]
    inputs: tuple[Figure, ...]
    exclusivity: Exclusivity
    patent_type: PatentKind
    granted: bool
    context: tuple[Figure, ...]
    notes: tuple[str, ...]
    sources: tuple[Source, ...]
