"""Stored listing values in words, for the import preview: `15,000 元` / `CNY 15,000`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import Enum
from typing import Final

from app.core.i18n import Localized, tr

_TEXT_CHARS: Final = 60

_PATENT_TYPES: Final[Mapping[str, Localized]] = {
    "invention": Localized("发明", "invention"),
    "utility_model": Localized("实用新型", "utility model"),
    "design": Localized("外观设计", "design"),
}
_ROYALTY_TYPES: Final[Mapping[str, Localized]] = {
    "fixed": Localized("固定费用", "fixed fee"),
    "percentage": Localized("按销售额提成", "percentage of sales"),
    "entry_plus_percentage": Localized("入门费+提成", "entry fee plus percentage"),
    "free": Localized("免费", "free"),
    "negotiable": Localized("面议", "negotiable"),
}


def _number(value: float) -> str:
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def yuan(value: float) -> Localized:
    """Return an amount of money in words."""
    return tr("{amount} 元", "CNY {amount}", amount=_number(value))


def shown(field: str, value: object) -> Localized:
    """Return a stored value of `field` as the preview shows it."""
    if isinstance(value, Enum):
        value = value.value
    if field in ("fixed_fee_yuan", "entry_fee_yuan") and isinstance(value, int | float):
        return yuan(value)
    if field == "rate_percent" and isinstance(value, int | float):
        return Localized(f"{_number(value)}%", f"{_number(value)}%")
    if field == "term_years" and isinstance(value, int | float):
        return tr("{years} 年", "{years} years", years=_number(value))
    if field == "patent_type" and isinstance(value, str) and value in _PATENT_TYPES:
        return _PATENT_TYPES[value]
    if field == "royalty_type" and isinstance(value, str) and value in _ROYALTY_TYPES:
        return _ROYALTY_TYPES[value]
    if isinstance(value, date):
        return Localized.of(value.isoformat())
    if isinstance(value, list):
        return Localized.of("; ".join(str(item) for item in value))
    return Localized.of(str(value)).shortened(_TEXT_CHARS)


def raw_text(value: object) -> str:
    """Return a cell as the user wrote it, shortened for the preview."""
    if isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, float):
        text = f"{value:.15g}"
    else:
        text = str(value)
    return Localized.of(text).shortened(_TEXT_CHARS).en


__all__ = ["raw_text", "shown", "yuan"]
