"""Column headers and coded values of uploaded listings, mapped to canonical names.

Headers match case-, whitespace- and width-insensitively (NFKC, so `ＩＰＣ` is `IPC` and
`（元）` is `(元)`), with `_`, `-`, `.` and required-field stars ignored, and a trailing unit in
brackets dropped when the full header is not itself an alias: `提成比例(%)`, `固定费用（元）` and
`term_years (years)` all match. `HEADER_ALIASES` is the documented table (canonical field →
accepted headers) that the README renders.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Final

FIELDS: Final[tuple[str, ...]] = (
    "patent_number",
    "title",
    "abstract",
    "claims",
    "ipc_codes",
    "patent_type",
    "application_date",
    "grant_date",
    "expiry_date",
    "legal_status",
    "industry_code",
    "province",
    "contact",
    "royalty_type",
    "rate_percent",
    "fixed_fee_yuan",
    "entry_fee_yuan",
    "term_years",
)

HEADER_ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "patent_number": (
        "专利号",
        "申请号",
        "专利申请号",
        "申请号(专利号)",
        "专利号/申请号",
        "patent number",
        "patent no",
        "application number",
        "application no",
    ),
    "title": ("名称", "专利名称", "发明名称", "标题", "title", "patent title", "name"),
    "abstract": ("摘要", "abstract", "summary"),
    "claims": ("权利要求", "权利要求书", "主权项", "claims", "main claim"),
    "ipc_codes": (
        "IPC分类号",
        "IPC",
        "分类号",
        "IPC主分类号",
        "主分类号",
        "IPC codes",
        "IPC code",
        "IPC classification",
    ),
    "patent_type": ("专利类型", "类型", "专利类别", "patent type", "type"),
    "application_date": ("申请日", "申请日期", "application date", "filing date"),
    "grant_date": ("授权日", "授权公告日", "授权日期", "grant date", "date granted"),
    "expiry_date": (
        "到期日",
        "届满日",
        "专利权期限届满日",
        "expiry date",
        "expiration date",
        "expiry",
    ),
    "legal_status": ("法律状态", "legal status", "status"),
    "industry_code": (
        "行业代码",
        "行业分类",
        "国民经济行业代码",
        "industry code",
        "industry",
    ),
    "province": ("省份", "所在省份", "地区", "province", "region"),
    "contact": ("联系方式", "联系人", "联系电话", "contact", "contact person"),
    "royalty_type": (
        "许可费类型",
        "使用费类型",
        "支付方式",
        "royalty type",
        "licence type",
        "license type",
        "payment type",
    ),
    "rate_percent": (
        "提成比例",
        "提成率",
        "费率",
        "rate %",
        "rate",
        "royalty rate",
        "percentage",
    ),
    "fixed_fee_yuan": (
        "固定费用",
        "许可费",
        "一次性许可费",
        "许可费用",
        "fixed fee",
        "licence fee",
        "license fee",
        "lump sum",
    ),
    "entry_fee_yuan": ("入门费", "入门费用", "entry fee", "upfront fee", "down payment"),
    "term_years": ("许可期限", "许可年限", "term", "licence term", "license term"),
}

PATENT_TYPE_ALIASES: Final[Mapping[str, str]] = {
    "invention": "invention",
    "发明": "invention",
    "发明专利": "invention",
    "utility_model": "utility_model",
    "实用新型": "utility_model",
    "实用新型专利": "utility_model",
    "design": "design",
    "外观设计": "design",
    "外观设计专利": "design",
}

ROYALTY_TYPE_ALIASES: Final[Mapping[str, str]] = {
    "fixed": "fixed",
    "固定费用": "fixed",
    "一次性支付": "fixed",
    "一次性": "fixed",
    "percentage": "percentage",
    "提成": "percentage",
    "按比例提成": "percentage",
    "提成支付": "percentage",
    "entry_plus_percentage": "entry_plus_percentage",
    "入门费+提成": "entry_plus_percentage",
    "入门费加提成": "entry_plus_percentage",
    "free": "free",
    "免费": "free",
    "免费许可": "free",
    "negotiable": "negotiable",
    "面议": "negotiable",
    "协商": "negotiable",
}

# Separators and the star that templates put on required columns carry no meaning.
_IGNORED_CHARS = re.compile(r"[\s_\-.*]+")
_TRAILING_UNIT = re.compile(r"(?:\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】)$")


def _key(text: str) -> str:
    """Return the comparison form of a header or coded value."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _IGNORED_CHARS.sub("", folded).rstrip(":")


def _build_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for field in FIELDS:
        for alias in (field, *HEADER_ALIASES[field]):
            key = _key(alias)
            if lookup.setdefault(key, field) != field:
                raise ValueError(f"header alias {alias!r} maps to {lookup[key]} and {field}")
    return lookup


_LOOKUP: Final[dict[str, str]] = _build_lookup()


def canonical_field(header: str) -> str | None:
    """Return the canonical field a column header names, or None if it names none."""
    key = _key(header)
    if key in _LOOKUP:
        return _LOOKUP[key]
    without_unit = _TRAILING_UNIT.sub("", key)
    return _LOOKUP.get(without_unit) if without_unit != key else None


def accepted_headers(field: str) -> tuple[str, ...]:
    """Return every header accepted for a field, the canonical name first."""
    return (field, *HEADER_ALIASES[field])


def canonical_value(aliases: Mapping[str, str], raw: str) -> str:
    """Return the canonical value for a coded cell, or the stripped raw text if unknown."""
    key = _key(raw)
    for alias, value in aliases.items():
        if _key(alias) == key:
            return value
    return raw.strip()
