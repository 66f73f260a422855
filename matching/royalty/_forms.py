"""Royalty guidance, last step: the fee in each payment form, the declared fee, the sanity band."""

from __future__ import annotations

from typing import Literal

from matching.royalty._tables import RoyaltyTables
from matching.royalty._types import (
    INPUT,
    Affordability,
    DeclaredAssessment,
    DeclaredFee,
    Figure,
    PaymentForms,
    RateRange,
    RoyaltyRequest,
    SanityCheck,
)


def payment_forms(request: RoyaltyRequest, rate: RateRange, tables: RoyaltyTables) -> PaymentForms:
    """Return the range as a lump sum and as an entry fee plus royalty, over the licence term."""
    origin: Literal["given", "example"] = "example"
    if request.annual_sales_yuan is not None:
        origin = "given"
        sales = Figure("expected annual net sales", request.annual_sales_yuan, "yuan", (INPUT,))
    else:
        default = tables.parameter("default_annual_sales_yuan")
        sales = Figure(
            f"per {default.value:,.0f} yuan of annual sales",
            default.value,
            "yuan",
            (default.source,),
        )
    national = tables.national
    declared_term = request.declared.term_years if request.declared else None
    term_sources: tuple[str, ...]
    term_origin: Literal["declared", "recorded_average", "remaining_term"]
    if declared_term:
        term_value, term_sources = float(declared_term), (INPUT,)
        term_label, term_origin = "the licence term the TTO declared", "declared"
    else:
        term_value, term_sources = national.fixed_fee_avg_term_years, (national.source,)
        term_label = f"average term of fixed-fee licences recorded by CNIPA in {national.year}"
        term_origin = "recorded_average"
    if request.remaining_years < term_value:
        term_value = max(0.0, request.remaining_years)
        term_sources = (*term_sources, INPUT)
        term_label += ", cut to the patent's remaining term"
        term_origin = "remaining_term"
    term = Figure(term_label, round(term_value, 2), "years", term_sources)
    share = tables.parameter("entry_fee_share")

    def scaled(figure: Figure, label: str, multiplier: float, unit: str, *extra: str) -> Figure:
        value = figure.value / 100 * sales.value * term.value * multiplier
        sources = unique((*figure.sources, *sales.sources, *term.sources, *extra))
        return Figure(label, round(value, 2), unit, sources)

    def lump(figure: Figure) -> Figure:
        return scaled(figure, "rate × annual sales × term", 1.0, "yuan")

    def entry(figure: Figure) -> Figure:
        label = f"{share.value:g} of the lump sum, paid up front"
        return scaled(figure, label, share.value, "yuan", share.source)

    def running(figure: Figure) -> Figure:
        sources = unique((*figure.sources, share.source))
        value = round(figure.value * (1 - share.value), 2)
        return Figure(
            f"rate less the {share.value:g} paid as entry fee", value, figure.unit, sources
        )

    lump_sum = RateRange(lump(rate.low), lump(rate.mid), lump(rate.high))
    entry_fee = RateRange(entry(rate.low), entry(rate.mid), entry(rate.high))
    budget = None
    if request.budget_yuan is not None and request.budget_yuan > 0:
        budget = _affordability(request.budget_yuan, rate.mid, term, lump_sum, entry_fee)
    return PaymentForms(
        annual_sales_yuan=sales,
        sales_origin=origin,
        term_years=term,
        term_origin=term_origin,
        lump_sum_yuan=lump_sum,
        entry_fee_yuan=entry_fee,
        running_royalty_pct=RateRange(running(rate.low), running(rate.mid), running(rate.high)),
        budget=budget,
        note=(
            "lump sums are not discounted: a licensee paying up front may ask for a discount; "
            "entry fee plus running royalty costs the same as the royalty alone over the term"
        ),
    )


def _affordability(
    budget_yuan: float, mid_rate: Figure, term: Figure, lump_sum: RateRange, entry_fee: RateRange
) -> Affordability:
    """Return the up-front costs as shares of the budget, and the sales the budget covers.

    A budget is what the licensee can pay, not what it sells, so it prices nothing: it is set
    beside the fee, and turned round into the annual sales at which the middle lump sum
    (mid rate × sales × term) would use it all.
    """
    budget = Figure("the licensee's budget", budget_yuan, "yuan", (INPUT,))

    def share(figure: Figure, label: str) -> Figure:
        value = round(100 * figure.value / budget_yuan, 1)
        return Figure(label, value, "% of the budget", unique((*figure.sources, INPUT)))

    def shares(forms: RateRange, label: str) -> RateRange:
        return RateRange(share(forms.low, label), share(forms.mid, label), share(forms.high, label))

    per_yuan_of_sales = mid_rate.value / 100 * term.value
    covered = None
    if per_yuan_of_sales > 0:
        covered = Figure(
            "annual sales at which the middle lump sum equals the budget",
            round(budget_yuan / per_yuan_of_sales, -2),
            "yuan",
            unique((INPUT, *mid_rate.sources, *term.sources)),
        )
    return Affordability(
        budget_yuan=budget,
        lump_sum_pct_of_budget=shares(lump_sum, "lump sum as % of the budget"),
        entry_fee_pct_of_budget=shares(entry_fee, "entry fee as % of the budget"),
        sales_covered_yuan=covered,
    )


def assess_declared(
    declared: DeclaredFee | None, rate: RateRange, payment: PaymentForms, tables: RoyaltyTables
) -> DeclaredAssessment | None:
    """Return where the declared fee, as % of sales over the term, sits against the range."""
    if declared is None:
        return None
    kind = declared.royalty_type
    if kind == "free":
        return DeclaredAssessment(kind, (), "free", False, "the licensor waives the fee")
    if kind == "negotiable" or (declared.rate_pct is None and declared.fixed_fee_yuan is None):
        return DeclaredAssessment(
            kind, (), "negotiable", False, "no fee declared: the range is a starting point"
        )
    factor = tables.parameter("flag_factor")
    cap = tables.parameter("royalty_cap_pct")
    volume = payment.annual_sales_yuan.value * payment.term_years.value
    figures: list[Figure] = []
    equivalent = 0.0
    if declared.rate_pct is not None:
        figures.append(
            Figure("declared royalty rate", declared.rate_pct, "% of net sales", (INPUT,))
        )
        equivalent += declared.rate_pct
    for label, amount in (
        ("declared fixed fee", declared.fixed_fee_yuan),
        ("declared entry fee", declared.entry_fee_yuan),
    ):
        if amount is not None:
            figures.append(Figure(label, amount, "yuan", (INPUT,)))
            equivalent += 100 * amount / volume if volume > 0 else 0.0
    sources = unique((INPUT, *payment.annual_sales_yuan.sources, *payment.term_years.sources))
    figures.append(
        Figure(
            "declared fee as % of sales over the term",
            round(equivalent, 3),
            "% of net sales",
            sources,
        )
    )
    low, high = rate.low.value, rate.high.value
    share = f"the declared fee equals {equivalent:.2f}% of sales"
    position: Literal["within", "below", "above", "far_below", "far_above"]
    if equivalent > cap.value or equivalent > high * factor.value:
        position = "far_above"
        reason = f"{share}, more than {factor.value:g}× the high end ({high:g}%)"
        if equivalent > cap.value:
            reason += f" and above the {cap.value:g}% ceiling"
    elif equivalent < low / factor.value:
        position = "far_below"
        reason = (
            f"{share}, under 1/{factor.value:g} of the low end ({low:g}%): the TTO may be "
            "under-pricing, or the range overstates the value"
        )
    elif equivalent < low:
        position, reason = "below", f"{share}, under the low end ({low:g}%)"
    elif equivalent > high:
        position, reason = "above", f"{share}, over the high end ({high:g}%)"
    else:
        position, reason = "within", f"{share}, within {low:g}%–{high:g}%"
    flagged = position in ("far_above", "far_below")
    return DeclaredAssessment(kind, tuple(figures), position, flagged, reason)


def sanity(rate: RateRange, tables: RoyaltyTables) -> SanityCheck:
    """Return where the middle of the range sits against published technology royalty rates."""
    low_anchor, high_anchor = tables.anchors["parr_p20"], tables.anchors["parr_p92"]
    band_low = Figure(
        low_anchor.statistic, low_anchor.value_pct, "% of net sales", (low_anchor.source,)
    )
    band_high = Figure(
        high_anchor.statistic, high_anchor.value_pct, "% of net sales", (high_anchor.source,)
    )
    mid = rate.mid.value
    if mid < band_low.value:
        return SanityCheck(
            band_low,
            band_high,
            "below",
            "below most published technology royalty rates, which come mostly from US licences "
            "in high-margin industries; Chinese industrial margins are thinner",
        )
    if mid > band_high.value:
        return SanityCheck(
            band_low, band_high, "above", "above 92% of published technology royalty rates"
        )
    return SanityCheck(band_low, band_high, "within", "within published technology royalty rates")


def unique(ids: tuple[str, ...]) -> tuple[str, ...]:
    """Return the ids in first-seen order without repeats."""
    return tuple(dict.fromkeys(ids))
