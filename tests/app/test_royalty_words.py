"""Royalty guidance in words: exact Chinese and English for representative suggestions."""

from __future__ import annotations

from typing import Any

from app.core.i18n import Localized
from app.schemas import RoyaltyGuidance
from app.services.royalty.payment_words import GivenBy
from app.services.royalty.service import shipped_tables
from app.services.royalty.words import guidance
from matching.royalty import (
    DeclaredFee,
    LicenceStat,
    RoyaltyRequest,
    RoyaltyTables,
    Source,
    suggest,
)

TABLES = shipped_tables()


def words(
    tables: RoyaltyTables = TABLES, given_by: GivenBy = "demand", **fields: Any
) -> RoyaltyGuidance:
    defaults: dict[str, Any] = {"patent_type": "invention", "remaining_years": 15.0}
    request = RoyaltyRequest(**(defaults | fields))
    return guidance(suggest(request, tables), tables, given_by=given_by)


def both(text: Localized | None) -> tuple[str, str]:
    assert text is not None
    return text.zh, text.en


def test_manufacturing_on_the_national_margin_says_why_low_and_what_to_import() -> None:
    said = words(licensee_industry="C34")
    assert both(said.summary) == (
        "建议许可费为净销售额的 1.32%–1.92%（中值 1.44%），按利润分成法估算，置信度低。"
        "一次性支付约 39.6–57.6 万元（按 1,000 万元年销售额示例，许可期 3 年）。",
        "Suggested royalty: 1.32%–1.92% (middle 1.44%) of net sales, by the profit-split "
        "method; confidence low. Lump sum about 396,000–576,000 yuan (for an example of "
        "10,000,000 yuan of annual sales, over 3 years).",
    )
    assert both(said.method) == (
        "按利润分成法估算：许可方分得被许可方利润的 23%–33.3%（中值 25%）"
        "〔kemmerer-lu-2012、goldscheider-2002、patentbridge-model〕，行业销售利润率取"
        "全国规模以上工业企业 2023 年的平均值 5.76%〔nbs-2023-profit〕；再按发明专利 ×1、"
        "剩余保护期 15 年 ×1、普通许可 ×1、已授权 ×1 调整〔patentbridge-model、input、"
        "patent-law-2020〕，建议费率为净销售额的 1.32%–1.92%（中值 1.44%）。",
        "Estimated by profit split: the licensor takes 23%–33.3% (middle 25%) of the "
        "licensee's profit [kemmerer-lu-2012, goldscheider-2002, patentbridge-model], on a "
        "sales profit margin of 5.76% for the 2023 average of all industrial enterprises above "
        "designated size [nbs-2023-profit]; adjusted for invention patent ×1, 15 years of term "
        "left ×1, non-exclusive licence ×1, granted ×1 [patentbridge-model, input, "
        "patent-law-2020], the suggested royalty is 1.32%–1.92% (middle 1.44%) of net sales.",
    )
    assert both(said.confidence_reason) == (
        "置信度低：C34 通用设备制造业、C 制造业均无有来源的销售利润率；用全国规模以上工业企业 "
        "2023 年的平均销售利润率 5.76%，未反映本行业的利润水平。",
        "Confidence low: no sourced profit margin for C34 Manufacture of general-purpose "
        "machinery or C Manufacturing; used the 2023 average sales profit margin of all "
        "industrial enterprises above designated size (5.76%), which says nothing of this "
        "industry's own margin.",
    )
    assert [item.zh for item in said.how_to_improve] == [
        "由运营方导入国家知识产权局分行业专利许可备案统计（含 C34 通用设备制造业的提成费率），"
        "置信度可升至高",
        "由运营方导入国家统计局分行业利润表（含 C34 通用设备制造业的营业收入和利润总额），"
        "置信度可升至中",
    ]
    assert both(said.sales_basis) == (
        "未提供年销售额，按 1,000 万元年销售额示例估算〔patentbridge-model〕；许可期 3 年"
        "（国家知识产权局 2023 年备案的固定费用许可平均期限）〔cnipa-licence-2023〕。",
        "No annual sales given: priced for an example of 10,000,000 yuan of annual sales "
        "[patentbridge-model]; a licence term of 3 years (the average of fixed-fee licences "
        "recorded by CNIPA in 2023) [cnipa-licence-2023].",
    )
    assert said.entry_fee.zh == (
        "入门费加提成：先付入门费约 7.92–11.52 万元（中值 8.64 万元，为一次性支付额的 20%"
        "〔patentbridge-model〕），再按净销售额的 1.06%–1.54%（中值 1.15%）提成；"
        "许可期内合计与一次性支付相同。"
    )
    assert said.budget is None and said.declared is None


def test_a_budget_is_compared_with_the_fees_and_turned_into_the_sales_it_covers() -> None:
    said = words(licensee_industry="C34", budget_yuan=500_000)
    assert said.summary.zh.endswith("，约为预算的 79.2%–115.2%。")
    assert both(said.budget) == (
        "需求填写的预算 50 万元〔input〕：一次性支付约为预算的 79.2%–115.2%，入门费约为预算的 "
        "15.8%–23%；按中值费率和 3 年许可期，预算够一次性支付年销售额约 1,157 万元以内的许可，"
        "销售额更高时宜选入门费加提成。预算是企业能支付的金额，不是销售额，因此不用来推算费用。",
        "The demand's budget, 500,000 yuan [input]: the lump sum is about 79.2%–115.2% of it "
        "and the entry fee 15.8%–23%; at the middle rate over 3 years it pays the lump sum for "
        "annual sales up to about 11,574,100 yuan, and above that entry fee plus royalty fits "
        "better. A budget is what the firm can pay, not what it sells, so it does not set the "
        "fee.",
    )


def test_given_sales_and_a_declared_term_are_named_as_the_basis() -> None:
    declared = DeclaredFee("percentage", rate_pct=3.0, term_years=5)
    said = words(
        licensee_industry="C39", annual_sales_yuan=2e7, declared=declared, given_by="request"
    )
    assert both(said.sales_basis) == (
        "按提供的年销售额 2,000 万元估算〔input〕；许可方声明的许可期 5 年〔input〕。",
        "Priced for the annual sales given, 20,000,000 yuan [input]; the licence term the "
        "licensor declared, 5 years [input].",
    )
    assert both(said.confidence_reason) == (
        "置信度中：采用 C39 计算机、通信和其他电子设备制造业 2023 年有来源的销售利润率 4.25%，"
        "但利润分成比例是经验法则，不是本行业实际约定的许可费。",
        "Confidence medium: uses the sourced 2023 sales profit margin of C39 Manufacture of "
        "computers, communication and other electronic equipment (4.25%), but the share of "
        "profit is a rule of thumb, not a fee the industry actually agreed.",
    )
    # 3% against 0.98%–1.42%: more than twice the high end.
    assert both(said.declared) == (
        "许可方声明的费用折合净销售额的 3.00%（按上述销售额和许可期），超过区间上限 1.42% 的 "
        "2 倍，已提示技术转移机构核对。",
        "The declared fee equals 3.00% of net sales (at the sales and term above), more than 2× "
        "the high end, 1.42%, flagged for the tech-transfer office to check.",
    )


def test_no_industry_asks_for_the_industry() -> None:
    said = words()
    assert both(said.confidence_reason) == (
        "置信度很低：用全国规模以上工业企业 2023 年的平均销售利润率 5.76%，未反映本行业的利润水平；"
        "不知道被许可方所在行业。",
        "Confidence very low: used the 2023 average sales profit margin of all industrial "
        "enterprises above designated size (5.76%), which says nothing of this industry's own "
        "margin; the licensee's industry is not known.",
    )
    assert [both(item) for item in said.how_to_improve] == [
        (
            "填写被许可方所属行业（国民经济行业分类的门类或大类，如 C34），按其实际行业估算",
            "state the licensee's industry (a GB/T 4754 section or division such as C34) so "
            "that the range is for its own industry",
        )
    ]


def test_a_service_industry_is_told_the_national_figure_does_not_cover_it() -> None:
    said = words(licensee_industry="N77")
    assert said.confidence_label.zh == "很低"
    assert said.confidence_reason.zh.endswith(
        "；该平均值只统计采矿业、制造业和电力、热力、燃气及水生产和供应业，"
        "不包括 N77 生态保护和环境治理业。"
    )


def test_recorded_licence_statistics_are_worded_with_their_contracts() -> None:
    source = Source("import-1", "2023年度专利实施许可统计", "CNIPA", "2024", "ref", "x")
    stat = LicenceStat("C34", 2023, "import-1", 52, None, 4.0, 2.5, 6.0)
    tables = TABLES.with_imports(sources=[source], margins=[], licence_stats=[stat])
    said = words(
        tables,
        licensee_industry="C34",
        patent_type="utility_model",
        remaining_years=5.0,
        granted=False,
    )
    assert both(said.method) == (
        "按同行业许可统计估算：国家知识产权局备案的 C34 通用设备制造业专利许可合同"
        "（2023 年，52 份）提成费率为 2.5%–6%（中值 4%）〔import-1〕；"
        "再按实用新型 ×0.7、剩余保护期 5 年 ×0.8、"
        "普通许可 ×1、尚未授权 ×0.8 调整〔patentbridge-model、input、patent-law-2020〕，"
        "建议费率为净销售额的 1.12%–2.69%（中值 1.79%）。",
        "Estimated from same-industry licence statistics: licences recorded by CNIPA in C34 "
        "Manufacture of general-purpose machinery (2023, 52 contracts) carry royalty rates of "
        "2.5%–6% (middle 4%) [import-1]; adjusted for utility model ×0.7, 5 years of term left "
        "×0.8, non-exclusive licence ×1, not yet granted ×0.8 [patentbridge-model, input, "
        "patent-law-2020], the suggested royalty is 1.12%–2.69% (middle 1.79%) of net sales.",
    )
    assert said.confidence_reason.zh == (
        "置信度高：依据 C34 通用设备制造业 2023 年备案许可合同的提成费率（52 份），"
        "是本行业实际约定的价格。"
    )
    assert said.how_to_improve == []
