"""Royalty guidance in words: the model's codes and figures turned into Chinese and English.

The royalty model (`matching.royalty`) returns codes and numbers; this module says them the
way a tech-transfer officer or an SME manager reads them: the method with the figures it used,
why the confidence is what it is, which data would raise it, and the fee in each payment form
for the sales and term assumed. Each number is followed by the ids of its sources.
"""

from __future__ import annotations

from app.core.i18n import Localized, join, tr
from app.schemas import RoyaltyGuidance
from app.services.royalty.payment_words import (
    GivenBy,
    budget_words,
    cite,
    declared_words,
    entry_fee_words,
    lump_sum_words,
    rate_range,
    sales_basis_words,
    sales_short,
    yuan_span,
)
from app.validation.industry import load_industries
from matching.royalty import (
    NATIONAL,
    Confidence,
    Improvement,
    Param,
    Reason,
    RoyaltySuggestion,
    RoyaltyTables,
)

CONFIDENCE_LABELS: dict[Confidence, Localized] = {
    "very_low": tr("很低", "very low"),
    "low": tr("低", "low"),
    "medium": tr("中", "medium"),
    "high": tr("高", "high"),
}
METHOD_LABELS = {
    "profit_split": tr("利润分成法", "profit-split method"),
    "industry_licence_statistics": tr("同行业许可统计法", "same-industry licence statistics"),
}
_PATENT_TYPES = {
    "invention": tr("发明专利", "invention patent"),
    "utility_model": tr("实用新型", "utility model"),
    "design": tr("外观设计", "design"),
}
_EXCLUSIVITY = {
    "non_exclusive": tr("普通许可", "non-exclusive licence"),
    "sole": tr("排他许可", "sole licence"),
    "exclusive": tr("独占许可", "exclusive licence"),
}


def guidance(
    suggestion: RoyaltySuggestion, tables: RoyaltyTables, *, given_by: GivenBy
) -> RoyaltyGuidance:
    """Return the suggestion in words; `given_by` says who gave the sales and budget, if any."""
    confidence = CONFIDENCE_LABELS[suggestion.confidence]
    method_label = METHOD_LABELS[suggestion.evidence.method]
    budget = budget_words(suggestion.payment, given_by)
    return RoyaltyGuidance(
        summary=_summary(suggestion, method_label, confidence),
        method_label=method_label,
        method=_method(suggestion, tables),
        confidence_label=confidence,
        confidence_reason=confidence_reason(suggestion.confidence, suggestion.confidence_reasons),
        how_to_improve=[improvement(i) for i in suggestion.improvements],
        sales_basis=sales_basis_words(suggestion.payment, tables, given_by),
        lump_sum=lump_sum_words(suggestion.payment),
        entry_fee=entry_fee_words(suggestion.payment, tables),
        budget=budget,
        declared=declared_words(suggestion, tables),
    )


def fallback_words(reasons: tuple[Reason, ...]) -> Localized | None:
    """Return the better evidence looked for and not found, in words, or None."""
    return join(_clauses(reasons)) if reasons else None


def industry_name(code: Param) -> Localized:
    """Return an industry as its code and name: `C34 通用设备制造业`."""
    industry = load_industries().get(str(code))
    if industry is None:
        return tr("{code}", "{code}", code=code)
    return tr("{code} {zh}", "{code} {en}", code=code, zh=industry.name_zh, en=industry.name_en)


def _summary(
    suggestion: RoyaltySuggestion, method_label: Localized, confidence: Localized
) -> Localized:
    payment = suggestion.payment
    lump = payment.lump_sum_yuan
    text = tr(
        "建议许可费为净销售额的 {rates}，按{method}估算，置信度{confidence}。"
        "一次性支付约 {lump}（{sales}，许可期 {term} 年）",
        "Suggested royalty: {rates} of net sales, by the {method}; confidence {confidence}. "
        "Lump sum about {lump} ({sales}, over {term} years)",
        rates=rate_range(suggestion.rate_pct),
        method=method_label,
        confidence=confidence,
        lump=yuan_span(lump.low.value, lump.high.value),
        sales=sales_short(payment),
        term=f"{payment.term_years.value:g}",
    )
    if payment.budget is not None:
        shares = payment.budget.lump_sum_pct_of_budget
        text += tr(
            "，约为预算的 {low}%–{high}%",
            ", about {low}%–{high}% of the budget",
            low=f"{shares.low.value:g}",
            high=f"{shares.high.value:g}",
        )
    return text + tr("。", ".")


def _method(suggestion: RoyaltySuggestion, tables: RoyaltyTables) -> Localized:
    evidence, base = suggestion.evidence, suggestion.base_rate_pct
    if evidence.method == "profit_split":
        shares = [tables.parameter(f"profit_share_{level}") for level in ("low", "mid", "high")]
        margin = tables.margins[evidence.industry_code]
        if evidence.industry_code == NATIONAL:
            whose = tr(
                "全国规模以上工业企业 {year} 年的平均值",
                "the {year} average of all industrial enterprises above designated size",
                year=margin.year,
            )
        else:
            whose = tr(
                " {industry} {year} 年的",
                "{industry} in {year}",
                industry=industry_name(evidence.industry_code),
                year=margin.year,
            )
        head = tr(
            "按利润分成法估算：许可方分得被许可方利润的 {low}–{high}（中值 {mid}）{share_cite}，"
            "行业销售利润率取{whose} {margin}%{margin_cite}",
            "Estimated by profit split: the licensor takes {low}–{high} (middle {mid}) of the "
            "licensee's profit{share_cite}, on a sales profit margin of {margin}% for "
            "{whose}{margin_cite}",
            low=f"{shares[0].value * 100:g}%",
            mid=f"{shares[1].value * 100:g}%",
            high=f"{shares[2].value * 100:g}%",
            share_cite=cite(tuple(share.source for share in shares)),
            whose=whose,
            margin=f"{margin.margin_pct:g}",
            margin_cite=cite((margin.source,)),
        )
    else:
        stat = tables.licence_stats[evidence.industry_code]
        contracts = (
            tr("，{n} 份", ", {n} contracts", n=stat.contracts) if stat.contracts else tr("", "")
        )
        head = tr(
            "按同行业许可统计估算：国家知识产权局备案的 {industry}专利许可合同"
            "（{year} 年{contracts}）提成费率为 {rates}{cite}",
            "Estimated from same-industry licence statistics: licences recorded by CNIPA in "
            "{industry} ({year}{contracts}) carry royalty rates of {rates}{cite}",
            industry=industry_name(evidence.industry_code),
            year=stat.year,
            contracts=contracts,
            rates=rate_range(base),
            cite=cite((stat.source,)),
        )
    return (
        head
        + _adjustments(suggestion, tables)
        + tr(
            "，建议费率为净销售额的 {rates}。",
            ", the suggested royalty is {rates} of net sales.",
            rates=rate_range(suggestion.rate_pct),
        )
    )


def _adjustments(suggestion: RoyaltySuggestion, tables: RoyaltyTables) -> Localized:
    by_name = {c.name: c for c in suggestion.coefficients}
    years = next(f.value for f in suggestion.inputs if f.label == "remaining patent term")
    maturity = tr("已授权", "granted") if suggestion.granted else tr("尚未授权", "not yet granted")
    parts = [
        tr("{what} ×{v}", "{what} ×{v}", what=what, v=f"{by_name[name].value:g}")
        for name, what in (
            ("patent_type", _PATENT_TYPES[suggestion.patent_type]),
            ("remaining_term", tr("剩余保护期 {y} 年", "{y} years of term left", y=f"{years:g}")),
            ("exclusivity", _EXCLUSIVITY[suggestion.exclusivity]),
            ("maturity", maturity),
        )
    ]
    sources = tuple(s for c in suggestion.coefficients for s in c.sources)
    text = tr(
        "；再按{parts} 调整{cite}",
        "; adjusted for {parts}{cite}",
        parts=join(parts, "、", ", "),
        cite=cite(sources),
    )
    if suggestion.cap_applied:
        cap = tables.parameter("royalty_cap_pct")
        text += tr(
            "，并以净销售额的 {cap}% 为上限{cite}",
            ", and capped at {cap}% of net sales{cite}",
            cap=f"{cap.value:g}",
            cite=cite((cap.source,)),
        )
    return text


def confidence_reason(level: Confidence, reasons: tuple[Reason, ...]) -> Localized:
    """Return why the confidence is `level`, in words."""
    return tr(
        "置信度{level}：{why}。",
        "Confidence {level}: {why}.",
        level=CONFIDENCE_LABELS[level],
        why=join(_clauses(reasons)),
    )


def _clauses(reasons: tuple[Reason, ...]) -> list[Localized]:
    clauses: list[Localized] = []
    missing: list[Param] = []
    for reason in (*reasons, None):
        if reason is not None and reason.code == "no_margin":
            missing.append(reason.params["industry"])
            continue
        if missing:
            clauses.append(_no_margin(missing))
            missing = []
        if reason is not None:
            clauses.append(_clause(reason))
    return clauses


def _no_margin(codes: list[Param]) -> Localized:
    names = [industry_name(code) for code in codes]
    if len(names) == 1:
        return tr("{a}无有来源的销售利润率", "no sourced profit margin for {a}", a=names[0])
    return tr(
        "{all}均无有来源的销售利润率",
        "no sourced profit margin for {all}",
        all=join(names, "、", " or "),
    )


def _clause(reason: Reason) -> Localized:
    p = reason.params
    industry = industry_name(p["industry"]) if "industry" in p else tr("", "")
    match reason.code:
        case "licence_statistics" if p["level"] == "division":
            return tr(
                "依据 {industry} {year} 年备案许可合同的提成费率{n}，是本行业实际约定的价格",
                "based on royalty rates of licences recorded in {industry} in {year}{n}: "
                "prices the industry actually agreed",
                industry=industry,
                year=p["year"],
                n=_contracts(p),
            )
        case "licence_statistics":
            return tr(
                "改用门类 {industry} {year} 年备案许可合同的提成费率{n}，未区分门类内各行业",
                "used the royalty rates recorded for section {industry} in {year}{n}, which do "
                "not tell its industries apart",
                industry=industry,
                year=p["year"],
                n=_contracts(p),
            )
        case "no_licence_statistics":
            return tr(
                "{industry}没有导入的许可统计",
                "no licence statistics imported for {industry}",
                industry=industry,
            )
        case "industry_margin" if p["level"] == "division":
            return tr(
                "采用 {industry} {year} 年有来源的销售利润率 {m}%，"
                "但利润分成比例是经验法则，不是本行业实际约定的许可费",
                "uses the sourced {year} sales profit margin of {industry} ({m}%), but the "
                "share of profit is a rule of thumb, not a fee the industry actually agreed",
                industry=industry,
                year=p["year"],
                m=p["margin_pct"],
            )
        case "industry_margin":
            return tr(
                "改用门类 {industry} {year} 年的销售利润率 {m}%，未区分门类内各行业；"
                "利润分成比例是经验法则",
                "used the {year} sales profit margin of section {industry} ({m}%), which does "
                "not tell its industries apart; the share of profit is a rule of thumb",
                industry=industry,
                year=p["year"],
                m=p["margin_pct"],
            )
        case "national_margin":
            return tr(
                "用全国规模以上工业企业 {year} 年的平均销售利润率 {m}%，未反映本行业的利润水平",
                "used the {year} average sales profit margin of all industrial enterprises "
                "above designated size ({m}%), which says nothing of this industry's own margin",
                year=p["year"],
                m=p["margin_pct"],
            )
        case "loss_making":
            return tr(
                "{industry} {year} 年亏损，其利润率不能用",
                "{industry} made a loss in {year}, so its margin cannot be used",
                industry=industry,
                year=p["year"],
            )
        case "outside_industrial_total":
            return tr(
                "该平均值只统计采矿业、制造业和电力、热力、燃气及水生产和供应业，不包括 {industry}",
                "that average covers mining, manufacturing and utilities only, not {industry}",
                industry=industry,
            )
        case "industry_from_ipc":
            return tr(
                "行业是按 IPC 分类号 {ipc} 用近似对照表推定的 {industry}，未必是被许可方的实际行业",
                "the industry, {industry}, is inferred from IPC {ipc} by an approximate table "
                "and may not be the licensee's own",
                ipc=p["ipc"],
                industry=industry,
            )
        case "no_industry":
            return tr("不知道被许可方所在行业", "the licensee's industry is not known")
        case "no_margin":
            return _no_margin([p["industry"]])


def _contracts(params: dict[str, Param]) -> Localized:
    if "contracts" not in params:
        return tr("", "")
    return tr("（{n} 份）", " ({n} contracts)", n=params["contracts"])


def improvement(item: Improvement) -> Localized:
    """Return, in words, the data that would raise the confidence and how far."""
    p = item.params
    if item.code == "state_industry":
        return tr(
            "填写被许可方所属行业（国民经济行业分类的门类或大类，如 C34），按其实际行业估算",
            "state the licensee's industry (a GB/T 4754 section or division such as C34) so "
            "that the range is for its own industry",
        )
    to = CONFIDENCE_LABELS[_confidence(p["to"])]
    industry = industry_name(p["industry"])
    if item.code == "import_licence_statistics":
        return tr(
            "由运营方导入国家知识产权局分行业专利许可备案统计（含 {industry}的提成费率），"
            "置信度可升至{to}",
            "have the operator import CNIPA's recorded-licence statistics by industry (with "
            "royalty rates for {industry}): confidence can rise to {to}",
            industry=industry,
            to=to,
        )
    return tr(
        "由运营方导入国家统计局分行业利润表（含 {industry}的营业收入和利润总额），置信度可升至{to}",
        "have the operator import NBS's profit table by industry (with revenue and total "
        "profit for {industry}): confidence can rise to {to}",
        industry=industry,
        to=to,
    )


def _confidence(value: Param) -> Confidence:
    for level in CONFIDENCE_LABELS:
        if level == value:
            return level
    raise ValueError(f"unknown confidence level {value!r}")
