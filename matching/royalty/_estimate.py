"""Royalty guidance: a sourced, explainable royalty range for one open-licence patent.

The steps follow CNIPA's 《专利开放许可使用费估算指引（试行）》(国知办发运字〔2022〕56号):
choose a method → determine the base rate → apply adjustment coefficients → state the fee in
each payment form. Evidence, best first:

1. the listing's own declared fee — assessed against the range and flagged when far outside;
2. CNIPA licence statistics for the licensee's industry (division, else section), once the
   operator has imported them;
3. the profit-split method: rate on sales = licensor's profit share × the industry's sales
   profit margin (division, else section, else the national total — with lower confidence);
4. published international ranges, as a sanity band only.

Every number in a `RoyaltySuggestion` is a `Figure` or `Coefficient` naming the ids of its
sources, and `RoyaltySuggestion.sources` holds each of those sources. Why the confidence is what
it is, and which data would raise it, are codes with parameters (`royalty_confidence`) for the
caller to word. A licensee's budget is set beside the fees, never taken for its sales.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from matching.royalty._confidence import assess
from matching.royalty._forms import assess_declared, payment_forms, sanity, unique
from matching.royalty._tables import NATIONAL, RoyaltyTables, Source, section_of
from matching.royalty._types import (
    INPUT,
    INPUT_SOURCE,
    Coefficient,
    Evidence,
    Figure,
    IndustryChoice,
    Param,
    RateRange,
    Reason,
    RoyaltyRequest,
    RoyaltySuggestion,
)


def suggest(request: RoyaltyRequest, tables: RoyaltyTables) -> RoyaltySuggestion:
    """Return the royalty range for `request` from `tables`.

    Args:
        request: the patent and the licence asked for; industry codes canonical (`C39`, `C`).
        tables: shipped tables, with any imported ones laid over them.

    Returns:
        low / mid / high % of net sales, the payment forms, the confidence and every source.
    """
    industry = _choose_industry(request, tables)
    evidence, base = _base(industry, tables)
    coefficients = _coefficients(request, tables)
    factor = 1.0
    for coefficient in coefficients:
        factor *= coefficient.value
    cap = tables.parameter("royalty_cap_pct")
    adjusted, cap_applied = _adjust(base, coefficients, factor, cap.value, cap.source)
    payment = payment_forms(request, adjusted, tables)
    confidence, reasons, improvements = assess(evidence, industry)
    notes = [_method_note(evidence, tables)]
    if request.exclusivity != "non_exclusive":
        notes.append(
            "an open licence is non-exclusive by law (Patent Law art. 51); a sole or exclusive "
            "licence must be negotiated outside the open-licence scheme"
        )
    if cap_applied:
        notes.append(f"capped at {cap.value:g}% of net sales, the ceiling of the 2024 notice")
    check = sanity(adjusted, tables)
    declared = assess_declared(request.declared, adjusted, payment, tables)
    if declared is not None and declared.position == "within":
        # The patent's own price is the first evidence: when it fits the range it can stand.
        notes.append("the declared fee is within the range: as the patent's own price it stands")
    inputs, context = _inputs(request), _context(tables)
    figures: list[Figure] = [*inputs, *context, check.band_low, check.band_high]
    figures += [payment.annual_sales_yuan, payment.term_years]
    for rates in (
        adjusted,
        base,
        payment.lump_sum_yuan,
        payment.entry_fee_yuan,
        payment.running_royalty_pct,
    ):
        figures += [rates.low, rates.mid, rates.high]
    if declared is not None:
        figures += declared.declared
    if payment.budget is not None:
        budget = payment.budget
        figures.append(budget.budget_yuan)
        for shares in (budget.lump_sum_pct_of_budget, budget.entry_fee_pct_of_budget):
            figures += [shares.low, shares.mid, shares.high]
        if budget.sales_covered_yuan is not None:
            figures.append(budget.sales_covered_yuan)
    return RoyaltySuggestion(
        rate_pct=adjusted,
        base_rate_pct=base,
        evidence=evidence,
        industry=industry,
        coefficients=coefficients,
        cap_applied=cap_applied,
        sanity=check,
        payment=payment,
        declared=declared,
        confidence=confidence,
        confidence_reasons=reasons,
        improvements=improvements,
        inputs=inputs,
        exclusivity=request.exclusivity,
        patent_type=request.patent_type,
        granted=request.granted,
        context=context,
        notes=tuple(notes),
        sources=_sources([*figures, *coefficients], tables),
    )


# --- method and base -------------------------------------------------------------------------


def _choose_industry(request: RoyaltyRequest, tables: RoyaltyTables) -> IndustryChoice:
    if request.licensee_industry:
        return IndustryChoice(
            request.licensee_industry, "licensee", "the licensee's industry, as given"
        )
    if request.listing_industry:
        return IndustryChoice(
            request.listing_industry, "listing", "the industry the TTO gave for the listing"
        )
    match = tables.industry_for_ipc(request.ipc_codes)
    if match is not None:
        code, rule = match
        return IndustryChoice(
            rule.industry_code,
            "ipc",
            f"approximate: IPC {code} → {rule.industry_code} by the project's hand-made table "
            f"(rule {rule.prefix}, WIPO field {rule.wipo_field}: {rule.reason})",
            ipc_code=code,
        )
    return IndustryChoice(None, "none", "no industry known: national figures are used")


# Memoised: the base depends only on the industry and the tables (which hash by identity).
@lru_cache(maxsize=4096)
def _base(industry: IndustryChoice, tables: RoyaltyTables) -> tuple[Evidence, RateRange]:
    code = industry.code
    candidates: list[tuple[str, Literal["division", "section"]]] = []
    if code is not None:
        if len(code) > 1:
            candidates.append((code, "division"))
        candidates.append((section_of(code), "section"))
    for candidate, level in candidates:
        stat = tables.licence_stats.get(candidate)
        if stat is None:
            continue
        central = stat.rate_median_pct if stat.rate_median_pct is not None else stat.rate_mean_pct
        if central is not None and central > 0:
            missing: tuple[Reason, ...] = ()
            if code is not None and candidate != code:
                missing = (Reason("no_licence_statistics", {"industry": code}),)
            rates = _stat_range(central, stat.rate_p25_pct, stat.rate_p75_pct, stat.source, tables)
            rates = _cap_base(rates, tables)
            basis: dict[str, Param] = {"industry": candidate, "level": level, "year": stat.year}
            if stat.contracts:
                basis["contracts"] = stat.contracts
            return (
                Evidence(
                    "industry_licence_statistics",
                    level,
                    candidate,
                    missing,
                    Reason("licence_statistics", basis),
                    f"CNIPA recorded-licence royalty rates for {candidate} ({stat.year}"
                    + (f", {stat.contracts} contracts" if stat.contracts else "")
                    + ")",
                ),
                rates,
            )
    skipped: list[Reason] = []
    for candidate, level in candidates:
        margin = tables.margins.get(candidate)
        if margin is None:
            skipped.append(Reason("no_margin", {"industry": candidate}))
            continue
        if margin.margin_pct <= 0:
            skipped.append(Reason("loss_making", {"industry": candidate, "year": margin.year}))
            continue
        return (
            Evidence(
                "profit_split",
                level,
                candidate,
                tuple(skipped),
                Reason(
                    "industry_margin",
                    {
                        "industry": candidate,
                        "level": level,
                        "year": margin.year,
                        "margin_pct": margin.margin_pct,
                    },
                ),
                f"profit split on the {margin.year} sales profit margin of {candidate}",
            ),
            _cap_base(_split_range(margin.margin_pct, margin.source, tables), tables),
        )
    national = tables.margins[NATIONAL]
    return (
        Evidence(
            "profit_split",
            "national",
            NATIONAL,
            tuple(skipped),
            Reason("national_margin", {"year": national.year, "margin_pct": national.margin_pct}),
            f"profit split on the {national.year} sales profit margin of all industry",
        ),
        _cap_base(_split_range(national.margin_pct, national.source, tables), tables),
    )


def _cap_base(rates: RateRange, tables: RoyaltyTables) -> RateRange:
    """Return the base with no point above the ceiling on royalties (an imported table may be)."""
    cap = tables.parameter("royalty_cap_pct")

    def point(figure: Figure) -> Figure:
        if figure.value <= cap.value:
            return figure
        label = f"{figure.label}, capped at {cap.value:g}%"
        return Figure(label, cap.value, figure.unit, unique((*figure.sources, cap.source)))

    return RateRange(point(rates.low), point(rates.mid), point(rates.high))


def _split_range(margin_pct: float, margin_source: str, tables: RoyaltyTables) -> RateRange:
    def point(level: str) -> Figure:
        share = tables.parameter(f"profit_share_{level}")
        return Figure(
            f"{level}: {share.value:g} of a {margin_pct:g}% margin",
            round(margin_pct * share.value, 3),
            "% of net sales",
            (margin_source, share.source),
        )

    return RateRange(point("low"), point("mid"), point("high"))


def _stat_range(
    central: float, p25: float | None, p75: float | None, source: str, tables: RoyaltyTables
) -> RateRange:
    mid = Figure("median (else mean) recorded rate", central, "% of net sales", (source,))
    low = _stat_bound("low", p25, central, source, tables)
    high = _stat_bound("high", p75, central, source, tables)
    return RateRange(low, mid, high)


def _stat_bound(
    level: Literal["low", "high"],
    percentile: float | None,
    central: float,
    source: str,
    tables: RoyaltyTables,
) -> Figure:
    if percentile is not None:
        # A published percentile never lies on the wrong side of the central rate it bounds.
        value = min(percentile, central) if level == "low" else max(percentile, central)
        label = "25th percentile" if level == "low" else "75th percentile"
        return Figure(f"{label} recorded rate", value, "% of net sales", (source,))
    # When only a central rate is published, its spread is taken from the profit-share band.
    share, mid_share = (
        tables.parameter(f"profit_share_{level}"),
        tables.parameter("profit_share_mid"),
    )
    return Figure(
        "central rate scaled by the profit-share band",
        round(central * (share.value / mid_share.value), 3),
        "% of net sales",
        (source, share.source, mid_share.source),
    )


# --- adjustments -----------------------------------------------------------------------------


def _coefficients(request: RoyaltyRequest, tables: RoyaltyTables) -> tuple[Coefficient, ...]:
    def named(name: str, parameter: str) -> Coefficient:
        p = tables.parameter(parameter)
        return Coefficient(name, p.value, p.reason, (p.source,))

    floor = tables.parameter("term_floor")
    full = tables.parameter("term_full_years")
    remaining = max(0.0, request.remaining_years)
    term_value = floor.value + (1 - floor.value) * min(remaining, full.value) / full.value
    term = Coefficient(
        "remaining_term",
        round(term_value, 4),
        f"{remaining:g} years of patent term left: {floor.value:g} at none, rising evenly to 1 "
        f"at {full.value:g} years or more. {floor.reason}",
        unique((floor.source, full.source, INPUT)),
    )
    return (
        named("patent_type", f"type_{request.patent_type}"),
        term,
        named("exclusivity", f"exclusivity_{request.exclusivity}"),
        named("maturity", "maturity_granted" if request.granted else "maturity_pending"),
    )


def _adjust(
    base: RateRange,
    coefficients: tuple[Coefficient, ...],
    factor: float,
    cap_pct: float,
    cap_source: str,
) -> tuple[RateRange, bool]:
    coefficient_sources = tuple(s for c in coefficients for s in c.sources)
    capped = False

    def point(figure: Figure) -> Figure:
        nonlocal capped
        value = figure.value * factor
        sources = (*figure.sources, *coefficient_sources)
        if value > cap_pct:
            capped = True
            value = cap_pct
            sources = (*sources, cap_source)
        label = f"{figure.label}, × {factor:.4g} for the adjustments"
        return Figure(label, round(value, 2), "% of net sales", unique(sources))

    adjusted = RateRange(point(base.low), point(base.mid), point(base.high))
    return adjusted, capped


# --- confidence, inputs, sources -------------------------------------------------------------


def _inputs(request: RoyaltyRequest) -> tuple[Figure, ...]:
    return (Figure("remaining patent term", round(request.remaining_years, 2), "years", (INPUT,)),)


def _context(tables: RoyaltyTables) -> tuple[Figure, ...]:
    n = tables.national
    src = (n.source,)
    return (
        Figure(
            f"share of recorded licences paid as royalty ({n.year})", n.royalty_share_pct, "%", src
        ),
        Figure(f"share paid as a fixed fee ({n.year})", n.fixed_fee_share_pct, "%", src),
        Figure(f"share granted free ({n.year})", n.free_share_pct, "%", src),
        Figure(f"average fixed fee per contract ({n.year})", n.fixed_fee_avg_yuan, "yuan", src),
    )


def _method_note(evidence: Evidence, tables: RoyaltyTables) -> str:
    if evidence.method == "industry_licence_statistics":
        return "base: royalty rates of licences recorded by CNIPA in this industry"
    shares = " / ".join(
        f"{tables.parameter(f'profit_share_{level}').value:.0%}" for level in ("low", "mid", "high")
    )
    return f"base: licensor's share ({shares}) of the industry's sales profit margin"


def _sources(numbers: list[Figure | Coefficient], tables: RoyaltyTables) -> tuple[Source, ...]:
    """Return every source the numbers cite, in first-cited order."""
    ids: dict[str, None] = {}
    for number in numbers:
        ids.update(dict.fromkeys(number.sources))
    return tuple(
        INPUT_SOURCE if source_id == INPUT else tables.sources[source_id] for source_id in ids
    )
