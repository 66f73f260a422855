"""Amounts with units in uploaded listings: `1.5万元`, `3%`, `18个月`, and units in headers.

Every amount column has a kind and a stored unit: fees are money kept in yuan, the rate is a
percentage of sales, the term is kept in whole years. A unit comes from the cell (`15000元`),
else from the column header (`合同金额（万元）`), else it is the stored unit. Rules:

- a cell's own unit wins over the header's when both are of the field's kind: under
  `入门费（万元）`, `15000元` is 15,000 yuan and `2` is 20,000 yuan;
- a unit of another kind refuses the value with the reason (`3%` in a fee column, `万元` in
  the rate column, `年` in a fee column), and so does a header unit that is not understood
  (`(美元)`): no unit is ever dropped;
- a bare number below 1 in a rate column whose header states no unit (`许可费率` = 0.03) is
  refused as ambiguous (3% or 0.03%?), while `0.03` under `提成比例(%)` is 0.03%, and an XLSX
  cell formatted as a percentage arrives as the text `3%`;
- a term in months must come to whole years (`24个月` is 2 years; `18个月` is refused, since
  the term is kept in whole years).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

from app.core.i18n import Localized, tr

Kind = Literal["money", "percent", "duration"]


@dataclass(frozen=True)
class Unit:
    """A unit: its kind and how many stored units one of it is."""

    kind: Kind
    factor: float
    name: str  # as a Chinese sheet writes it


@dataclass(frozen=True)
class Quantity:
    """An amount read from a cell, in its field's stored unit, and the unit that applied."""

    value: float
    unit: Unit


_YUAN: Final = Unit("money", 1, "元")
_PERCENT: Final = Unit("percent", 1, "%")
_YEAR: Final = Unit("duration", 1, "年")
_MONTH: Final = Unit("duration", 1 / 12, "个月")
_QIAN: Final = Unit("money", 1_000, "千元")
_WAN: Final = Unit("money", 10_000, "万元")

UNITS: Final[dict[str, Unit]] = {
    "元": _YUAN,
    "人民币": _YUAN,
    "人民币元": _YUAN,
    "yuan": _YUAN,
    "cny": _YUAN,
    "rmb": _YUAN,
    "¥": _YUAN,
    "千元": _QIAN,
    "千": _QIAN,
    "万元": _WAN,
    "万": _WAN,
    "万元人民币": _WAN,
    "%": _PERCENT,
    "percent": _PERCENT,
    "年": _YEAR,
    "years": _YEAR,
    "year": _YEAR,
    "个月": _MONTH,
    "月": _MONTH,
    "months": _MONTH,
    "month": _MONTH,
}

FIELD_KINDS: Final[dict[str, Kind]] = {
    "rate_percent": "percent",
    "fixed_fee_yuan": "money",
    "entry_fee_yuan": "money",
    "term_years": "duration",
}
_STORED: Final[dict[Kind, Unit]] = {"money": _YUAN, "percent": _PERCENT, "duration": _YEAR}

# Brackets that hold a remark, not a unit: `入门费（选填）`.
_NOTES: Final = frozenset({"必填", "选填", "可选", "非必填", "如有", "required", "optional"})
_AMOUNT = re.compile(r"^([¥]?)([+-]?(?:\d+(?:\.\d*)?|\.\d+))(.*)$")
_DIGIT_GROUPS = re.compile(r"(?<=\d)[,，\s](?=\d{3})")

_KIND_WORDS: Final[dict[Kind, Localized]] = {
    "money": Localized("金额", "an amount of money"),
    "percent": Localized("百分比", "a percentage"),
    "duration": Localized("期限", "a length of time"),
}
_WHERE: Final[dict[Kind, Localized]] = {
    "money": Localized(
        "金额请写在固定费用或入门费列，如 1.5万元", "write amounts in a fee column, e.g. 1.5万元"
    ),
    "percent": Localized(
        "提成比例请写在提成比例(%)列，如 3%", "write the rate in the royalty rate column, e.g. 3%"
    ),
    "duration": Localized(
        "期限请写在许可期限列，如 3年", "write the term in the licence term column, e.g. 3年"
    ),
}
_EXAMPLES: Final[dict[Kind, str]] = {"money": "1.5万元", "percent": "3%", "duration": "3年"}


def _unit_of(text: str) -> Unit | None:
    key = unicodedata.normalize("NFKC", text).casefold().strip().removeprefix("单位")
    return UNITS.get(key.lstrip(":").strip())


def column_unit(field: str, unit_text: str | None) -> Unit | Localized | None:
    """Return the unit a header states for an amount field, None, or why it cannot apply."""
    kind = FIELD_KINDS[field]
    if unit_text is None or unit_text.casefold() in _NOTES:
        return None
    unit = _unit_of(unit_text)
    if unit is None:
        return tr(
            "表头单位“{unit}”无法识别；请改用 {example} 这样的单位",
            "the header's unit '{unit}' is not understood; use a unit such as {example}",
            unit=unit_text,
            example=_unit_examples(kind),
        )
    if unit.kind != kind:
        return _wrong_kind(unit, kind)
    return unit


def read_quantity(field: str, value: object, unit_text: str | None) -> Quantity | Localized:
    """Return a cell's amount in the field's stored unit, or why it cannot be read.

    Args:
        field: an amount field (`FIELD_KINDS`).
        value: the cell: a number, or text such as `1.5万元`.
        unit_text: the unit its column header states (`headers.header_unit`), if any.
    """
    kind = FIELD_KINDS[field]
    header = column_unit(field, unit_text)
    if isinstance(header, Localized):
        return header
    parsed = _number_and_unit(value)
    if parsed is None:
        return tr(
            "“{value}”不是数值；请写成 {example} 这样的数",
            "'{value}' is not a number; write a number such as {example}",
            value=value,
            example=_EXAMPLES[kind],
        )
    number, cell_unit_text = parsed
    cell_unit: Unit | None = None
    if cell_unit_text:
        cell_unit = _unit_of(cell_unit_text)
        if cell_unit is None:
            return tr(
                "“{value}”的单位“{unit}”无法识别；请写成 {example} 这样的数",
                "the unit '{unit}' of '{value}' is not understood; write e.g. {example}",
                value=value,
                unit=cell_unit_text,
                example=_EXAMPLES[kind],
            )
        if cell_unit.kind != kind:
            return _wrong_kind(cell_unit, kind)
    unit = cell_unit or header or _STORED[kind]
    if kind == "percent" and cell_unit is None and header is None and 0 < number < 1:
        return tr(
            "“{value}”不明确：是 {percent}% 还是 {value}%？请写成带 % 的数，或在表头注明（%）",
            "'{value}' is ambiguous: {percent}% or {value}%? write it with a % sign, or put "
            "(%) in the header",
            value=_plain(number),
            percent=_plain(number * 100),
        )
    stored = number * unit.factor
    if kind == "duration" and abs(stored - round(stored)) > 1e-9:
        return tr(
            "许可期限按整年保存：“{value}”是 {years} 年；"
            "请写成整年，如 1年 或 2年（12个月、24个月）",
            "the licence term is kept in whole years: '{value}' is {years} years; write whole "
            "years such as 1年 or 2年 (12个月, 24个月)",
            value=value,
            years=_plain(stored),
        )
    return Quantity(round(stored) if kind == "duration" else stored, unit)


def _number_and_unit(value: object) -> tuple[float, str] | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value), ""
    if not isinstance(value, str):
        return None
    text = _DIGIT_GROUPS.sub("", unicodedata.normalize("NFKC", value).strip())
    match = _AMOUNT.match(text)
    if match is None:
        return None
    unit = (match[1] + match[3]).strip()
    try:
        return float(match[2]), unit
    except ValueError:
        return None


def _wrong_kind(unit: Unit, kind: Kind) -> Localized:
    return tr(
        "单位“{unit}”表示{got}，但这一列应填{want}；{where}",
        "the unit '{unit}' is {got}, but this column takes {want}; {where}",
        unit=unit.name,
        got=_KIND_WORDS[unit.kind],
        want=_KIND_WORDS[kind],
        where=_WHERE[unit.kind],
    )


def _unit_examples(kind: Kind) -> str:
    return {"money": "元、千元、万元", "percent": "%", "duration": "年、个月"}[kind]


def _plain(number: float) -> str:
    return f"{number:.10g}"


__all__ = ["FIELD_KINDS", "UNITS", "Kind", "Quantity", "Unit", "column_unit", "read_quantity"]
