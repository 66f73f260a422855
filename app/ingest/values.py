"""A row's raw values shaped as a listing's input: coded values, dates, amounts with units.

`listing_input` returns the input `ListingCreate` validates, the values it could not read
(each naming the field; the caller names the column), and every value it did read in words
(`1.5万元` → `15,000 元`), so a preview shows them even for a row refused for another reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from app.core.i18n import Localized, tr
from app.ingest.display import shown
from app.ingest.headers import PATENT_TYPE_ALIASES, ROYALTY_TYPE_ALIASES, canonical_value
from app.ingest.rows import SourceRow
from app.ingest.units import FIELD_KINDS, Quantity, read_quantity

LICENCE_FIELDS: Final = (
    "royalty_type",
    "rate_percent",
    "fixed_fee_yuan",
    "entry_fee_yuan",
    "term_years",
)
_DATE_FIELDS: Final = ("application_date", "grant_date", "expiry_date")
_DATE_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


@dataclass
class RowInput:
    """What a row becomes before validation."""

    data: dict[str, Any]
    problems: list[tuple[str, Localized]] = field(default_factory=list)
    shown: dict[str, Localized] = field(default_factory=dict)


def listing_input(source: SourceRow) -> RowInput:
    """Return a row's values shaped as a `ListingCreate` input, and what it could not read."""
    values = source.values
    result = RowInput(data={k: v for k, v in values.items() if k not in LICENCE_FIELDS})
    licence: dict[str, Any] = {k: v for k, v in values.items() if k in LICENCE_FIELDS}
    raw = result.data
    if isinstance(raw.get("patent_number"), int | float):
        raw["patent_number"] = str(raw["patent_number"])
    if isinstance(raw.get("patent_type"), str):
        raw["patent_type"] = canonical_value(PATENT_TYPE_ALIASES, raw["patent_type"])
    if isinstance(licence.get("royalty_type"), str):
        licence["royalty_type"] = canonical_value(ROYALTY_TYPE_ALIASES, licence["royalty_type"])
    for name in _DATE_FIELDS:
        if name in raw:
            parsed = parse_date(raw[name])
            if isinstance(parsed, Localized):
                result.problems.append((name, parsed))
                raw[name] = None
            else:
                raw[name] = parsed
                result.shown[name] = shown(name, parsed)
    for name in FIELD_KINDS:
        if name in licence:
            column = source.columns.get(name)
            amount = read_quantity(name, licence[name], column.unit if column else None)
            if isinstance(amount, Quantity):
                licence[name] = amount.value
                result.shown[name] = shown(name, amount.value)
            else:
                result.problems.append((name, amount))
                licence[name] = None
    if licence:
        raw["licence"] = licence
    return result


def parse_date(value: object) -> date | Localized:
    """Return a cell as a calendar date, or why it is not one."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # JSON 0 is 1970-01-01 to a Unix clock and 1900-01-00 to Excel: neither is meant.
        return tr(
            "“{value}”是数字，不是日期；请写成 2017-07-25 这样的日期"
            "（Excel 中请把单元格设为日期格式）",
            "'{value}' is a number, not a date; write a date such as 2017-07-25 (in Excel, "
            "format the cell as a date)",
            value=value,
        )
    text = str(value).strip()
    match = _DATE_PATTERN.match(text) or _COMPACT_DATE.match(text)
    if match is not None:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    return tr(
        "“{value}”不是日期；请写成 2017-07-25 这样的日期",
        "'{value}' is not a date such as 2017-07-25",
        value=text,
    )


__all__ = ["LICENCE_FIELDS", "RowInput", "listing_input", "parse_date"]
