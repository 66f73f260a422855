"""Industry codes of GB/T 4754-2017 (国民经济行业分类): sections A–T and divisions 01–97.

The canonical code of a section is its letter (`C`); of a division, the section letter and the
two-digit division (`C39`), so that a code alone says which section it sits in. The table lives
in `data/gbt4754_2017.csv`; its source is recorded in `data/SOURCES.md`.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from app.core.i18n import tr

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
INDUSTRY_TABLE = DATA_DIR / "gbt4754_2017.csv"

_STANDARD = tr("国民经济行业分类（GB/T 4754-2017）", "GB/T 4754-2017")
_LEVELS = ("section", "division")

# `[0-9]` rather than `\d`: `\d` also matches other scripts' digits, which NFKC keeps.
_SECTION = re.compile(r"[A-Z]")
_DIVISION = re.compile(r"(?P<section>[A-Z])?(?P<division>[0-9]{2})")
_FINER = re.compile(r"(?P<section>[A-Z])?(?P<division>[0-9]{2})[0-9]{1,2}")


@dataclass(frozen=True)
class Industry:
    """One section or division; `code` is canonical (`C` or `C39`)."""

    code: str
    level: Literal["section", "division"]
    section: str
    name_zh: str
    name_en: str


@cache
def load_industries() -> dict[str, Industry]:
    """Return every section and division of GB/T 4754-2017, keyed by canonical code."""
    industries: dict[str, Industry] = {}
    with INDUSTRY_TABLE.open(encoding="utf-8", newline="") as table:
        for row in csv.DictReader(table):
            if row["level"] not in _LEVELS:
                raise ValueError(f"{INDUSTRY_TABLE.name}: unknown level {row['level']!r}")
            level: Literal["section", "division"] = (
                "section" if row["level"] == "section" else "division"
            )
            code = row["code"] if level == "section" else row["section"] + row["code"]
            industries[code] = Industry(
                code=code,
                level=level,
                section=row["section"],
                name_zh=row["name_zh"],
                name_en=row["name_en"],
            )
    return industries


def normalize_industry_code(raw: str) -> str:
    """Return the canonical code (`C` or `C39`) of a GB/T 4754-2017 section or division."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw))
    # Only ASCII is upper-cased, so that a dotless ı cannot become section I.
    text = text.upper() if text.isascii() else text
    industries = load_industries()

    if _SECTION.fullmatch(text):
        if text not in industries:
            raise ValueError(
                tr(
                    "“{raw}”不是{standard}的门类；门类为 A 到 T 的字母，例如 C（制造业）",
                    "{raw!r} is not a {standard} section (A to T)",
                    raw=raw,
                    standard=_STANDARD,
                )
            )
        return text

    division = _DIVISION.fullmatch(text)
    if division is not None:
        return _division_code(raw, division["division"], division["section"])

    finer = _FINER.fullmatch(text)
    if finer is not None:
        code = _division_code(raw, finer["division"], finer["section"])
        raise ValueError(
            tr(
                "“{raw}”细到了中类或小类；行业只填门类或大类，这里请填 {code}",
                "{raw!r} is finer than a division; industries are given by section or "
                "division, here {code}",
                raw=raw,
                code=code,
            )
        )

    raise ValueError(
        tr(
            "“{raw}”不是{standard}行业代码；请填门类或大类，例如 C 或 C39",
            "{raw!r} is not a {standard} industry code like C or C39",
            raw=raw,
            standard=_STANDARD,
        )
    )


def get_industry(code: str) -> Industry:
    """Return the section or division for a code in any accepted spelling."""
    return load_industries()[normalize_industry_code(code)]


def section_of(code: str) -> str:
    """Return the section letter of a section or division code."""
    return get_industry(code).section


def _division_code(raw: str, division: str, section: str | None) -> str:
    """Return `C39` for division `39`, checking the section letter if one was given."""
    owner = _sections_by_division().get(division)
    if owner is None:
        raise ValueError(
            tr(
                "“{raw}”不是{standard}的大类；大类为 01 到 97 的两位数字，例如 39",
                "{raw!r} is not a {standard} division (01 to 97)",
                raw=raw,
                standard=_STANDARD,
            )
        )
    if section is not None and section != owner:
        raise ValueError(
            tr(
                "大类 {division} 属于门类 {owner}，不属于 {section}；"
                "请把“{raw}”改为 {owner}{division}",
                "division {division} belongs to section {owner}, not {section}; "
                "use {owner}{division} instead of {raw!r}",
                division=division,
                owner=owner,
                section=section,
                raw=raw,
            )
        )
    return owner + division


@cache
def _sections_by_division() -> dict[str, str]:
    """Return the section letter of each two-digit division."""
    return {
        industry.code[1:]: industry.section
        for industry in load_industries().values()
        if industry.level == "division"
    }
