"""Pydantic's validation errors in words a tech-transfer office reads, Chinese and English.

The English side is pydantic's own message (stable, and what API clients already match on);
the Chinese side is written here per error type, filled from the error's context. A message a
validator wrote itself (`ValueError(tr(...))`, `schemas.common.field_error`) is used as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from app.core.i18n import Localized, reason_of, tr

# Chinese messages by pydantic error type; `{name}` is filled from the error's context.
_CHINESE: Final[Mapping[str, str]] = {
    "missing": "必填，请填写",
    "extra_forbidden": "不认识这个字段；请删除它或检查拼写",
    "string_type": "应为文本",
    "string_too_short": "太短：至少 {min_length} 个字符",
    "string_too_long": "太长：最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不对",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数，不能带小数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "multiple_of": "应为 {multiple_of} 的整数倍",
    "enum": "应为以下取值之一：{expected}",
    "literal_error": "应为以下取值之一：{expected}",
    "date_type": "应为日期，例如 2017-07-25",
    "date_parsing": "应为日期，例如 2017-07-25",
    "date_from_datetime_parsing": "应为日期，例如 2017-07-25",
    "date_from_datetime_inexact": "应为日期，不带时间",
    "datetime_type": "应为日期时间，例如 2026-11-27T08:00:00",
    "datetime_parsing": "应为日期时间，例如 2026-11-27T08:00:00",
    "datetime_from_date_parsing": "应为日期时间，例如 2026-11-27T08:00:00",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "set_type": "应为列表",
    "too_short": "太少：至少 {min_length} 项",
    "too_long": "太多：最多 {max_length} 项",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    # pydantic's detail (`Expecting ',' delimiter`) is English; the English side keeps it.
    "json_invalid": "不是有效的 JSON；请检查引号、括号和逗号是否成对、完整",
    "json_type": "应为 JSON 文本",
    "none_required": "应为空",
    "union_tag_invalid": "类型标记无效：{tag}",
    "url_parsing": "应为网址",
}


def message_of(error: Mapping[str, Any]) -> Localized:
    """Return the message of one pydantic error (an item of `ValidationError.errors()`)."""
    ctx = error.get("ctx")
    ctx = ctx if isinstance(ctx, Mapping) else {}
    english = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    own = ctx.get("msg")
    if isinstance(own, Localized):
        return own
    cause = ctx.get("error")
    if isinstance(cause, Exception) and cause.args and isinstance(cause.args[0], Localized):
        return reason_of(cause)
    template = _CHINESE.get(str(error.get("type", "")))
    if template is None:
        return tr("取值无效（{reason}）", "{reason}", reason=english)
    try:
        chinese = template.format(**{k: _shown(v) for k, v in ctx.items()})
    except (KeyError, IndexError, ValueError):
        chinese = template.split("：")[0]
    return Localized(chinese, english)


def _shown(value: object) -> object:
    # Pydantic words `expected` in English ("'invention', 'utility_model' or 'design'").
    if isinstance(value, str):
        return value.replace(" or ", ", ").replace(", ", "、")
    return value
