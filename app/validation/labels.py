"""The Chinese names of the fields and values that messages quote, beside their API names.

A message about a field names it as a Chinese reader knows it and as the caller wrote it:
`提成比例（rate_percent）` in Chinese, `rate_percent` in English, so that neither reader has to
guess which key in the request or which column of the sheet is meant. The Chinese names are
the headers that `app.services.listings.export` writes and the import reads back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from app.core.i18n import Localized

FIELD_NAMES: Final[Mapping[str, str]] = {
    "patent_number": "专利号",
    "title": "名称",
    "abstract": "摘要",
    "claims": "权利要求",
    "ipc_codes": "IPC 分类号",
    "patent_type": "专利类型",
    "application_date": "申请日",
    "grant_date": "授权日",
    "expiry_date": "到期日",
    "legal_status": "法律状态",
    "industry_code": "行业代码",
    "licence": "许可条件",
    "royalty_type": "许可费类型",
    "rate_percent": "提成比例",
    "fixed_fee_yuan": "固定费用",
    "entry_fee_yuan": "入门费",
    "term_years": "许可期限",
    "province": "省份",
    "contact": "联系方式",
    "description": "需求描述",
    "budget_yuan": "预算",
    "annual_sales_yuan": "预计年销售额",
    "visibility": "公开范围",
    "alert_min_score": "提醒阈值",
}

VALUE_NAMES: Final[Mapping[str, str]] = {
    "invention": "发明",
    "utility_model": "实用新型",
    "design": "外观设计",
    "fixed": "固定费用",
    "percentage": "按销售额提成",
    "entry_plus_percentage": "入门费加提成",
    "free": "免费",
    "negotiable": "面议",
    "public": "公开",
    "private": "不公开",
    "relevant": "相关",
    "not_relevant": "不相关",
}


def field_name(field: str) -> Localized:
    """Return a field as a message names it: `申请日（application_date）` / `application_date`."""
    chinese = FIELD_NAMES.get(field)
    return Localized(f"{chinese}（{field}）" if chinese else field, field)


def value_name(value: str) -> Localized:
    """Return an enum value as a message quotes it: `“免费”（free）` / `'free'`."""
    chinese = VALUE_NAMES.get(value)
    return Localized(f"“{chinese}”（{value}）" if chinese else f"“{value}”", f"'{value}'")
