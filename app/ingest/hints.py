"""What to tell a user whose row misses a field: maybe its value sits in an ignored column.

A sheet that calls its title `项目名称`, or its fee `价格`, has the value in a column the import
does not know. When a row misses a field, the ignored columns of that row are searched for one
whose header sounds like the field (and, for an amount, whose cell reads as one); the message
then names that column and the header to rename it to.
"""

from __future__ import annotations

from typing import Final

from app.core.i18n import Localized, tr
from app.ingest.headers import accepted_headers, field_label
from app.ingest.rows import SourceRow
from app.ingest.units import FIELD_KINDS, Quantity, read_quantity

# Words that a header for the field is likely to contain.
_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "patent_number": ("号", "number", "no"),
    "title": ("名称", "题目", "标题", "项目", "成果", "name", "title"),
    "abstract": ("简介", "介绍", "说明", "内容", "描述", "description", "summary"),
    "ipc_codes": ("分类", "ipc", "class"),
    "application_date": ("申请", "日期", "date"),
    "royalty_type": ("方式", "类型", "支付", "type", "payment"),
    "rate_percent": ("率", "比例", "提成", "rate", "%"),
    "fixed_fee_yuan": ("价", "费", "金额", "报价", "price", "fee", "amount", "cost"),
    "entry_fee_yuan": ("入门", "首付", "预付", "entry", "upfront"),
    "term_years": ("期限", "年限", "term", "years"),
}


def stray_hint(field: str, source: SourceRow, column: str | None = None) -> Localized | None:
    """Return a hint naming the ignored column of a row that probably holds `field`.

    `column` is the file's own column for the field, if it has one: then the value should
    move there, as a second column for the field would be refused.
    """
    words = _WORDS.get(field, ())
    for header, text in source.stray.items():
        folded = header.casefold()
        if not any(word in folded for word in words):
            continue
        if field in FIELD_KINDS and not isinstance(read_quantity(field, text, None), Quantity):
            continue
        if column is not None:
            return tr(
                "“{stray}”列有内容“{text}”，但这一列没有导入；如果它就是{label}，请把它移到“{column}”列",
                "column '{stray}' has '{text}' but is not imported; if it is the {label}, move "
                "it to column '{column}'",
                stray=header,
                text=text,
                label=field_label(field),
                column=column,
            )
        return tr(
            "“{stray}”列有内容“{text}”，但这一列没有导入；如果它就是{label}，请把表头改为“{header}”",
            "column '{stray}' has '{text}' but is not imported; if it is the {label}, rename "
            "its header to '{header}'",
            stray=header,
            text=text,
            label=field_label(field),
            header=accepted_headers(field)[1],
        )
    return None


def missing_message(field: str, source: SourceRow, column: str | None) -> Localized:
    """Return why a row misses a required field and how to fix it."""
    label = field_label(field)
    if column is not None:
        message = tr(
            "“{column}”列为空；{label}必须填写",
            "column '{column}' is empty; the {label} is required",
            column=column,
            label=label,
        )
    else:
        message = tr(
            "缺少{label}：请添加一列，表头写“{header}”（也可写 {others}）",
            "the {label} is missing: add a column headed '{header}' (or {others})",
            label=label,
            header=accepted_headers(field)[1],
            others="、".join(accepted_headers(field)[2:5]),
        )
    hint = stray_hint(field, source, column)
    return message if hint is None else message + tr("；{hint}", "; {hint}", hint=hint)


__all__ = ["missing_message", "stray_hint"]
