"""Column headers and coded values of uploaded listings, mapped to canonical names.

Headers match case-, whitespace- and width-insensitively (NFKC, so `ＩＰＣ` is `IPC` and
`（元）` is `(元)`), with `_`, `-`, `.` and required-field stars ignored, and a trailing unit in
brackets dropped when the full header is not itself an alias: `提成比例(%)`, `固定费用（元）` and
`term_years (years)` all match. `HEADER_ALIASES` is the documented table (canonical field →
accepted headers) that docs/imports.md renders.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Final

from app.core.i18n import Localized

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

# The fields whose cells are amounts with a unit (see app.ingest.units).
NUMBER_FIELDS: Final = frozenset({"rate_percent", "fixed_fee_yuan", "entry_fee_yuan", "term_years"})

FIELD_LABELS: Final[Mapping[str, Localized]] = {
    "patent_number": Localized("专利号", "patent number"),
    "title": Localized("专利名称", "patent title"),
    "abstract": Localized("摘要", "abstract"),
    "claims": Localized("权利要求", "claims"),
    "ipc_codes": Localized("IPC分类号", "IPC codes"),
    "patent_type": Localized("专利类型", "patent type"),
    "application_date": Localized("申请日", "application date"),
    "grant_date": Localized("授权日", "grant date"),
    "expiry_date": Localized("到期日", "expiry date"),
    "legal_status": Localized("法律状态", "legal status"),
    "industry_code": Localized("行业代码", "industry code"),
    "province": Localized("省份", "province"),
    "contact": Localized("联系方式", "contact"),
    "royalty_type": Localized("许可费类型", "royalty type"),
    "rate_percent": Localized("提成比例(%)", "royalty rate (%)"),
    "fixed_fee_yuan": Localized("固定费用（元）", "fixed fee (yuan)"),
    "entry_fee_yuan": Localized("入门费（元）", "entry fee (yuan)"),
    "term_years": Localized("许可期限（年）", "licence term (years)"),
}

HEADER_ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "patent_number": (
        "专利号",
        "申请号",
        "专利申请号",
        "申请号(专利号)",
        "专利号/申请号",
        "专利编号",
        "专利(申请)号",
        "patent number",
        "patent no",
        "application number",
        "application no",
    ),
    "title": (
        "名称",
        "专利名称",
        "发明名称",
        "发明创造名称",
        "专利标题",
        "标题",
        "title",
        "patent title",
        "name",
    ),
    "abstract": (
        "摘要",
        "专利摘要",
        "技术摘要",
        "专利简介",
        "技术简介",
        "成果简介",
        "abstract",
        "summary",
    ),
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
        "国际专利分类号",
        "IPC分类",
    ),
    "patent_type": ("专利类型", "类型", "专利类别", "专利种类", "patent type", "type"),
    "application_date": (
        "申请日",
        "申请日期",
        "专利申请日",
        "application date",
        "filing date",
    ),
    "grant_date": (
        "授权日",
        "授权公告日",
        "授权日期",
        "授权公告日期",
        "grant date",
        "date granted",
    ),
    "expiry_date": (
        "到期日",
        "届满日",
        "专利权期限届满日",
        "届满日期",
        "到期日期",
        "有效期至",
        "专利有效期至",
        "expiry date",
        "expiration date",
        "expiry",
    ),
    "legal_status": ("法律状态", "专利状态", "legal status", "status"),
    "industry_code": (
        "行业代码",
        "行业分类",
        "国民经济行业代码",
        "industry code",
        "industry",
    ),
    "province": ("省份", "所在省份", "所属省份", "地区", "所在地区", "省市", "province", "region"),
    "contact": (
        "联系方式",
        "联系人",
        "联系电话",
        "联系人电话",
        "电话",
        "手机",
        "电子邮箱",
        "邮箱",
        "通讯地址",
        "联系地址",
        "email",
        "phone",
        "contact",
        "contact person",
    ),
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
        "许可费率",
        "许可使用费率",
        "提成费率",
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
        "许可使用费",
        "合同金额",
        "一次性支付金额",
        "fixed fee",
        "licence fee",
        "license fee",
        "lump sum",
    ),
    "entry_fee_yuan": (
        "入门费",
        "入门费用",
        "首付款",
        "首付费",
        "entry fee",
        "upfront fee",
        "down payment",
    ),
    "term_years": ("许可期限", "许可年限", "许可期", "term", "licence term", "license term"),
}

# Columns that open-licence declarations and transfer platforms carry but a listing does not
# store: recognised, so the report calls them "not stored" instead of "unknown".
UNSTORED_HEADERS: Final[tuple[str, ...]] = (
    "专利权人",
    "权利人",
    "申请人",
    "申请(专利权)人",
    "发明人",
    "设计人",
    "发明人/设计人",
    "技术领域",
    "应用领域",
    "所属行业",
    "所属领域",
    "成熟度",
    "技术成熟度",
    "所属单位",
    "所属学院",
    "许可方式",
    "holder",
    "patentee",
    "assignee",
    "inventor",
    "inventors",
    "applicant",
    "maturity",
)

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
_BARE_UNIT = re.compile(r"(?:万元|千元|元|%|个月|月|年)$")


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
    return _split(header)[0]


def header_unit(header: str) -> str | None:
    """Return the unit a header states (`万元` of `合同金额（万元）`, `%` of `费率%`), if any.

    A unit is bracketed at the end of the header, or written straight after a number
    column's name; `单位：` before it is dropped.
    """
    return _split(header)[1]


def _split(header: str) -> tuple[str | None, str | None]:
    key = _key(header)
    bracketed = _TRAILING_UNIT.search(key)
    if bracketed is not None:
        unit = bracketed.group()[1:-1].removeprefix("单位").lstrip(":").strip() or None
        base = key[: bracketed.start()]
        if key in _LOOKUP:
            return _LOOKUP[key], None
        return _LOOKUP.get(base), unit
    if key in _LOOKUP:
        return _LOOKUP[key], _unit_in_name(key, _LOOKUP[key])
    bare = _BARE_UNIT.search(key)
    if bare is not None and _LOOKUP.get(key[: bare.start()]) in NUMBER_FIELDS:
        return _LOOKUP[key[: bare.start()]], bare.group()
    return None, None


def _unit_in_name(key: str, field: str) -> str | None:
    # `rate %` and the canonical names (`fixed_fee_yuan`) say their unit themselves.
    if field not in NUMBER_FIELDS:
        return None
    if key == _key(field):
        return _CANONICAL_UNITS[field]
    bare = _BARE_UNIT.search(key)
    return bare.group() if bare is not None else None


_CANONICAL_UNITS: Final = {
    "rate_percent": "%",
    "fixed_fee_yuan": "元",
    "entry_fee_yuan": "元",
    "term_years": "年",
}


def is_unstored(header: str) -> bool:
    """Return whether a header names something a listing knows of but does not store."""
    return _split_unstored(header) in _UNSTORED


def _split_unstored(header: str) -> str:
    key = _key(header)
    return key if key in _UNSTORED else _TRAILING_UNIT.sub("", key)


_UNSTORED: Final = frozenset(_key(header) for header in UNSTORED_HEADERS)


def field_label(field: str) -> Localized:
    """Return the words a spreadsheet user knows a field by (专利名称 / patent title)."""
    return FIELD_LABELS.get(field, Localized(field, field))


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
