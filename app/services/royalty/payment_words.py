"""Royalty guidance in words, the money part: sales and term assumed, payment forms, budget."""

from __future__ import annotations

from typing import Literal

from app.core.i18n import Localized, tr
from matching.royalty import PaymentForms, RateRange, RoyaltySuggestion, RoyaltyTables

# Who gave the licensee's figures (sales, budget): a stored demand, or the request itself.
GivenBy = Literal["demand", "request"]


def pct(value: float) -> str:
    """Return a percentage as written: `1.44%`."""
    return f"{value:g}%"


def yuan(value: float) -> Localized:
    """Return an amount: `43.2 万元` / `432,000 yuan`."""
    return yuan_span(value, value)


def yuan_span(low: float, high: float) -> Localized:
    """Return an amount or a range of amounts in one unit: `39.6–57.6 万元` / `… yuan`."""

    def wan(value: float) -> str:
        value /= 10_000
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")

    if min(abs(low), abs(high)) >= 10_000:
        zh = wan(low) if low == high else f"{wan(low)}–{wan(high)}"
        zh += " 万元"
    else:
        zh = f"{low:,.0f} 元" if low == high else f"{low:,.0f}–{high:,.0f} 元"
    en = f"{low:,.0f}" if low == high else f"{low:,.0f}–{high:,.0f}"
    return Localized(zh, en + " yuan")


def cite(sources: tuple[str, ...]) -> Localized:
    """Return source ids as they follow a number: 〔a、b〕 / [a, b]."""
    ids = tuple(dict.fromkeys(sources))
    return tr("〔{zh}〕", " [{en}]", zh="、".join(ids), en=", ".join(ids))


def rate_range(rates: RateRange) -> Localized:
    """Return a % range with its middle: `1.32%–1.92%（中值 1.44%）`."""
    return tr(
        "{low}–{high}（中值 {mid}）",
        "{low}–{high} (middle {mid})",
        low=pct(rates.low.value),
        mid=pct(rates.mid.value),
        high=pct(rates.high.value),
    )


def _yuan_range(amounts: RateRange, aside: Localized | None = None) -> Localized:
    """Return `39.6–57.6 万元（中值 43.2 万元）`, with `aside` inside the brackets."""
    return tr(
        "{span}（中值 {mid}{aside}）",
        "{span} (middle {mid}{aside})",
        span=yuan_span(amounts.low.value, amounts.high.value),
        mid=yuan(amounts.mid.value),
        aside=tr("，{a}", ", {a}", a=aside) if aside is not None else tr("", ""),
    )


def sales_short(payment: PaymentForms) -> Localized:
    """Return the sales the fees are priced for, in a few words (`sales_basis` says whose)."""
    sales = yuan(payment.annual_sales_yuan.value)
    if payment.sales_origin == "given":
        return tr("按年销售额 {sales}", "for annual sales of {sales}", sales=sales)
    return tr("按 {sales}年销售额示例", "for an example of {sales} of annual sales", sales=sales)


def sales_basis_words(payment: PaymentForms, tables: RoyaltyTables, given_by: GivenBy) -> Localized:
    """Return which annual sales and licence term the fees assume, and where they come from."""
    sales = payment.annual_sales_yuan
    if payment.sales_origin == "given" and given_by == "demand":
        head = tr(
            "按需求填写的预计年销售额 {sales}估算{cite}",
            "Priced for the expected annual sales the demand gives, {sales}{cite}",
            sales=yuan(sales.value),
            cite=cite(sales.sources),
        )
    elif payment.sales_origin == "given":
        head = tr(
            "按提供的年销售额 {sales}估算{cite}",
            "Priced for the annual sales given, {sales}{cite}",
            sales=yuan(sales.value),
            cite=cite(sales.sources),
        )
    else:
        head = tr(
            "未提供年销售额，按 {sales}年销售额示例估算{cite}",
            "No annual sales given: priced for an example of {sales} of annual sales{cite}",
            sales=yuan(sales.value),
            cite=cite(sales.sources),
        )
    term = payment.term_years
    years = f"{term.value:g}"
    if payment.term_origin == "declared":
        what = tr(
            "许可方声明的许可期 {y} 年",
            "the licence term the licensor declared, {y} years",
            y=years,
        )
    elif payment.term_origin == "recorded_average":
        what = tr(
            "许可期 {y} 年（国家知识产权局 {year} 年备案的固定费用许可平均期限）",
            "a licence term of {y} years (the average of fixed-fee licences recorded by CNIPA "
            "in {year})",
            y=years,
            year=tables.national.year,
        )
    else:
        what = tr(
            "许可期 {y} 年（专利剩余保护期）",
            "a licence term of {y} years (the patent's remaining term)",
            y=years,
        )
    return head + tr("；{what}{cite}。", "; {what}{cite}.", what=what, cite=cite(term.sources))


def lump_sum_words(payment: PaymentForms) -> Localized:
    """Return the lump-sum alternative and how it is worked out."""
    return tr(
        "一次性支付：约 {amounts}，即年销售额 × 费率 × 许可期，未折现；"
        "提前付款的被许可方可要求折让。",
        "Lump sum: about {amounts}: annual sales × rate × term, not discounted; a licensee "
        "paying up front may ask for a discount.",
        amounts=_yuan_range(payment.lump_sum_yuan),
    )


def entry_fee_words(payment: PaymentForms, tables: RoyaltyTables) -> Localized:
    """Return the entry-fee-plus-royalty alternative."""
    share = tables.parameter("entry_fee_share")
    part = tr(
        "为一次性支付额的 {share}{cite}",
        "{share} of the lump sum{cite}",
        share=f"{share.value * 100:g}%",
        cite=cite((share.source,)),
    )
    return tr(
        "入门费加提成：先付入门费约 {fees}，再按净销售额的 {rates}提成；"
        "许可期内合计与一次性支付相同。",
        "Entry fee plus royalty: an entry fee of about {fees} up front, then {rates} of net "
        "sales; over the term both forms cost the same.",
        fees=_yuan_range(payment.entry_fee_yuan, part),
        rates=rate_range(payment.running_royalty_pct),
    )


def budget_words(payment: PaymentForms, given_by: GivenBy) -> Localized | None:
    """Return the up-front fees against the budget, or None without one.

    A budget is what the firm can pay, not what it sells, so it sets no fee: the fees are set
    beside it, and it is turned round into the sales up to which it pays the lump sum.
    """
    budget = payment.budget
    if budget is None:
        return None
    whose = (
        tr("需求填写的预算", "The demand's budget")
        if given_by == "demand"
        else tr("提供的预算", "The budget given")
    )
    lump, entry = budget.lump_sum_pct_of_budget, budget.entry_fee_pct_of_budget
    text = tr(
        "{whose} {budget}{cite}：一次性支付约为预算的 {ll}%–{lh}%，入门费约为预算的 {el}%–{eh}%",
        "{whose}, {budget}{cite}: the lump sum is about {ll}%–{lh}% of it and the entry fee "
        "{el}%–{eh}%",
        whose=whose,
        budget=yuan(budget.budget_yuan.value),
        cite=cite(budget.budget_yuan.sources),
        ll=f"{lump.low.value:g}",
        lh=f"{lump.high.value:g}",
        el=f"{entry.low.value:g}",
        eh=f"{entry.high.value:g}",
    )
    if budget.sales_covered_yuan is not None:
        text += tr(
            "；按中值费率和 {term} 年许可期，预算够一次性支付年销售额约 {sales}以内的许可，"
            "销售额更高时宜选入门费加提成",
            "; at the middle rate over {term} years it pays the lump sum for annual sales up "
            "to about {sales}, and above that entry fee plus royalty fits better",
            term=f"{payment.term_years.value:g}",
            sales=yuan(budget.sales_covered_yuan.value),
        )
    return text + tr(
        "。预算是企业能支付的金额，不是销售额，因此不用来推算费用。",
        ". A budget is what the firm can pay, not what it sells, so it does not set the fee.",
    )


def declared_words(suggestion: RoyaltySuggestion, tables: RoyaltyTables) -> Localized | None:
    """Return the listing's declared fee against the range, or None if it declared nothing."""
    declared = suggestion.declared
    if declared is None:
        return None
    if declared.position == "free":
        return tr("许可方声明免费许可。", "The licensor declares the licence free of charge.")
    if declared.position == "negotiable":
        return tr(
            "许可方未声明费用（面议），建议区间可作为谈判起点。",
            "The licensor declared no fee (negotiable): the range is a starting point.",
        )
    equivalent = f"{declared.declared[-1].value:.2f}%"
    low, high = pct(suggestion.rate_pct.low.value), pct(suggestion.rate_pct.high.value)
    factor = f"{tables.parameter('flag_factor').value:g}"
    head = tr(
        "许可方声明的费用折合净销售额的 {eq}（按上述销售额和许可期）",
        "The declared fee equals {eq} of net sales (at the sales and term above)",
        eq=equivalent,
    )
    flagged = tr("，已提示技术转移机构核对", ", flagged for the tech-transfer office to check")
    match declared.position:
        case "within":
            tail = tr(
                "，在建议区间 {low}–{high} 之内，可作为本专利自己的价格",
                ", within the range {low}–{high}: as the patent's own price it stands",
                low=low,
                high=high,
            )
        case "below":
            tail = tr("，低于建议区间下限 {low}", ", below the low end, {low}", low=low)
        case "above":
            tail = tr("，高于建议区间上限 {high}", ", above the high end, {high}", high=high)
        case "far_below":
            tail = (
                tr(
                    "，不到区间下限 {low} 的 1/{f}：可能定价偏低，或区间高估了专利价值",
                    ", under 1/{f} of the low end, {low}: the fee may be too low, or the range "
                    "overstates the patent's value",
                    low=low,
                    f=factor,
                )
                + flagged
            )
        case _:
            tail = tr(
                "，超过区间上限 {high} 的 {f} 倍",
                ", more than {f}× the high end, {high}",
                high=high,
                f=factor,
            )
            cap = tables.parameter("royalty_cap_pct").value
            if declared.declared[-1].value > cap:
                tail += tr(
                    "，也超过净销售额 {cap}% 的上限",
                    ", and above the {cap}% ceiling",
                    cap=f"{cap:g}",
                )
            tail += flagged
    return head + tail + tr("。", ".")
