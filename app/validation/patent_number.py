"""CNIPA patent application numbers: check digits, canonical spelling and patent type.

Two forms are in use. Since 2004 a number is 12 digits (year, type, serial) and a check
character, `201710601862.3`; before 2004 it was 8 digits (two-digit year, type, serial) and a
check character, `98123456.X`. The canonical stored form is the digits, a point and the check
character, with no prefix.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from app.core.i18n import tr

# The same weights serve both forms: the 8-digit form uses the first eight.
_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)

_FIRST_YEAR = 1985  # the Chinese patent system opened on 1985-04-01

_TYPE_DIGITS = {
    "1": "invention",
    "2": "utility_model",
    "3": "design",
    "8": "invention",  # a PCT application for an invention, entering China
    "9": "utility_model",  # a PCT application for a utility model, entering China
}

_FORM_HINT = tr(
    "中国专利申请号应为 12 位数字加 1 位校验位（例如 201710601862.3），"
    "2004 年以前的为 8 位数字加 1 位校验位（例如 98123456.X）",
    "a CN application number has 12 digits and a check digit (e.g. 201710601862.3) "
    "or, before 2004, 8 digits and a check digit",
)

# `[0-9]` rather than `\d`: `\d` also matches other scripts' digits, which NFKC keeps.
_PREFIX = re.compile(r"^(?:ZL|CN)")
_NUMBER = re.compile(r"(?P<digits>[0-9]{12}|[0-9]{8})\.?(?P<check>[0-9X])")
_MISSING_CHECK = re.compile(r"(?P<digits>[0-9]{12}|[0-9]{8})\.?")


def check_digit(digits: str) -> str:
    """Return the check character (`0`-`9` or `X`) for 8 or 12 application-number digits."""
    if not re.fullmatch(r"[0-9]{12}|[0-9]{8}", digits):
        raise ValueError(f"a check digit is computed from 8 or 12 digits; got {digits!r}")
    remainder = sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=False)) % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_patent_number(raw: str) -> str:
    """Return the canonical form (`201710601862.3`) of a CN application number, or raise."""
    text = unicodedata.normalize("NFKC", raw).upper()
    # An ideographic full stop is what a Chinese input method types for the point.
    text = re.sub(r"\s+", "", text).replace("。", ".")
    text = _PREFIX.sub("", text)

    match = _NUMBER.fullmatch(text)
    if match is None:
        missing = _MISSING_CHECK.fullmatch(text)
        if missing is not None:
            digits = missing["digits"]
            raise ValueError(
                tr(
                    "申请号 {digits} 缺少校验位：请按专利证书补上小数点后的那一位",
                    "check digit is missing from {digits}: add the character after the point, "
                    "as printed on the patent certificate",
                    digits=digits,
                )
            )
        raise ValueError(
            tr("{hint}；收到的是“{raw}”", "{hint}; got {raw!r}", hint=_FORM_HINT, raw=raw)
        )

    digits, given = match["digits"], match["check"]
    if len(digits) == 12:
        _check_modern_structure(digits)
    expected = check_digit(digits)
    if given != expected:
        raise ValueError(
            tr(
                "校验位是 {given}，但 {digits} 的校验位应为 {expected}",
                "check digit is {given} but should be {expected} for {digits}",
                given=given,
                expected=expected,
                digits=digits,
            )
        )
    return f"{digits}.{expected}"


def patent_type_from_number(canonical: str) -> str | None:
    """Return "invention", "utility_model" or "design" for an application number, if known."""
    digits, _, _ = normalize_patent_number(canonical).partition(".")
    type_digit = digits[4] if len(digits) == 12 else digits[2]
    return _TYPE_DIGITS.get(type_digit)


def _check_modern_structure(digits: str) -> None:
    """Reject a 12-digit number whose year or type digit cannot be right."""
    year = int(digits[:4])
    last_year = date.today().year + 1
    if not _FIRST_YEAR <= year <= last_year:
        raise ValueError(
            tr(
                "申请号 {digits} 的申请年份 {year} 不在 {first} 到 {last} 之间；请核对前四位",
                "application year {year} in {digits} is not between {first} and {last}",
                year=year,
                digits=digits,
                first=_FIRST_YEAR,
                last=last_year,
            )
        )
    type_digit = digits[4]
    if type_digit not in _TYPE_DIGITS:
        raise ValueError(
            tr(
                "申请号 {digits} 的第 5 位（专利类型）是 {type_digit}，应为 1（发明）、"
                "2（实用新型）、3（外观设计）、8（PCT 发明）或 9（PCT 实用新型）",
                "patent type digit {type_digit} in {digits} is not 1 (invention), "
                "2 (utility model), 3 (design), 8 (PCT invention) or 9 (PCT utility model)",
                type_digit=type_digit,
                digits=digits,
            )
        )
