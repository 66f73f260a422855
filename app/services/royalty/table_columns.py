"""Recognise the columns of the statistics tables an operator imports for royalty guidance.

Two kinds of table, with the headers they are published under:

- **NBS profit by industry** (国家统计局《规模以上工业企业主要财务指标（分行业）》): one row per
  industry (行业), then 营业收入 / 营业成本 / 利润总额, each split into 金额(亿元) and
  比上年增长(%) in a second header row. Kept: revenue (营业收入 金额), total profit (利润总额
  金额) and, when given, the margin (营业收入利润率). Cost and growth columns are ignored.
- **CNIPA licence statistics by industry** (the 国民经济行业（门类）专利实施许可统计表 of the
  2021–2024 releases): one row per industry, with the number of contracts (合同数量), the
  royalty rate of contracts paid by royalty (提成费率: 平均值 / 中位数 / 25% and 75%
  quantiles) and the average fixed fee (按固定或可折算金额支付 … 平均金额, in 万元 unless the
  header says 元 or 亿元).

A header may be one row or two (a group heading such as 利润总额 over 金额(亿元)); the two are
read together. Headers are matched by the words they contain, in Chinese or English, so the
spelling of an export (spaces, brackets, full-width characters) does not matter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

INDUSTRY = "industry"
NBS_FIELDS = ("revenue_100m_yuan", "profit_100m_yuan", "margin_pct")
CNIPA_FIELDS = (
    "contracts",
    "rate_mean_pct",
    "rate_median_pct",
    "rate_p25_pct",
    "rate_p75_pct",
    "fixed_fee_mean_yuan",
)
_INDUSTRY_HEADERS = (
    "行业",
    "行业名称",
    "行业代码",
    "国民经济行业",
    "国民经济行业门类",
    "门类",
    "行业门类",
    "行业大类",
    "行业分类",
    "国民经济行业分类",
    "industry",
    "industrycode",
    "industryname",
)
_SUBHEADER_WORDS = ("金额", "增长", "平均", "中位", "分位", "数量", "amount", "growth", "mean")
_IGNORED_WORDS = ("增长", "增减", "growth", "同比", "营业成本", "cost", "占比", "share")
_YUAN_UNITS = (("亿元", 1e8), ("万元", 1e4), ("元", 1.0))


@dataclass(frozen=True)
class Column:
    """A recognised column: its position, the field it holds and, for amounts, the unit scale."""

    index: int
    field: str
    header: str
    scale: float = 1.0


def key(text: object) -> str:
    """Return the comparison form of a header: NFKC, case-folded, without spaces or brackets."""
    folded = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return re.sub(r"[\s_\-.:：*()\[\]【】（）]+", "", folded)


def is_industry_header(text: object) -> bool:
    """Return whether a header names the industry column."""
    return key(text) in _INDUSTRY_HEADERS


def looks_like_subheader(cells: Sequence[object]) -> bool:
    """Return whether a row under the header is a second header row (金额(亿元), 比上年增长…)."""
    texts = [key(c) for c in cells if key(c)]
    if not texts:
        return False
    hits = sum(1 for t in texts if any(word in t for word in _SUBHEADER_WORDS))
    return hits * 2 >= len(texts)


def combine_headers(top: Sequence[object], sub: Sequence[object] | None) -> list[str]:
    """Return one header per column, a group heading carried over the blank cells it spans."""
    width = max(len(top), len(sub) if sub else 0)
    combined = []
    group = ""
    for i in range(width):
        head = str(top[i]).strip() if i < len(top) and top[i] is not None else ""
        if head:
            group = head
        child = str(sub[i]).strip() if sub and i < len(sub) and sub[i] is not None else ""
        combined.append(f"{group} {child}".strip() if child else (head or ""))
    return combined


def recognise(headers: Sequence[str]) -> tuple[list[Column], list[str]]:
    """Return the recognised columns and the headers that were ignored."""
    columns: list[Column] = []
    ignored: list[str] = []
    for index, header in enumerate(headers):
        k = key(header)
        if not k:
            continue
        if is_industry_header(header):
            columns.append(Column(index, INDUSTRY, header))
            continue
        field, scale = _field(k)
        if field is None:
            ignored.append(header)
        else:
            columns.append(Column(index, field, header, scale))
    return columns, ignored


def _field(k: str) -> tuple[str | None, float]:
    if any(word in k for word in _IGNORED_WORDS):
        return None, 1.0
    if "利润率" in k or "margin" in k:
        return "margin_pct", 1.0
    if "营业收入" in k or "主营业务收入" in k or "revenue" in k:
        return "revenue_100m_yuan", _scale(k, default=1e8) / 1e8
    if "利润总额" in k or "totalprofit" in k or k == "profit":
        return "profit_100m_yuan", _scale(k, default=1e8) / 1e8
    if "提成" in k or "royaltyrate" in k or "rate" in k:
        return _rate_field(k), 1.0
    if "固定" in k or "可折算" in k or "fixedfee" in k:
        if "平均" in k or "mean" in k or "average" in k:
            return "fixed_fee_mean_yuan", _scale(k, default=1e4)
        return None, 1.0
    if k in ("合同数量", "合同数量份", "合同数", "合同份数", "contracts", "合计合同数量"):
        return "contracts", 1.0
    return None, 1.0


def _rate_field(k: str) -> str | None:
    if "中位" in k or "median" in k:
        return "rate_median_pct"
    if "25" in k or "下四分位" in k or "q1" in k:
        return "rate_p25_pct"
    if "75" in k or "上四分位" in k or "q3" in k:
        return "rate_p75_pct"
    if "平均" in k or "均值" in k or "mean" in k or "average" in k:
        return "rate_mean_pct"
    return None


def _scale(k: str, default: float) -> float:
    for unit, factor in _YUAN_UNITS:
        if unit in k:
            return factor
    if "yuan" in k:
        return 1.0
    return default
