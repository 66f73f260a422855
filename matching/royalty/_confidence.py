"""How sure a royalty range is, why, and which data would make it surer.

The level follows the evidence the base rate stands on, best first: recorded licence rates of
the licensee's own division (high), of its section (medium); a profit split on the division's
sourced margin (medium: the share of profit is a rule of thumb, not a price anyone paid), on
the section's (low), on the national industrial margin (low; very low for an industry outside
mining, manufacturing and utilities, which that total does not cover). An industry inferred
from an IPC code costs one level; no industry at all gives the lowest.
"""

from __future__ import annotations

from typing import Literal

from matching.royalty._tables import section_of
from matching.royalty._types import (
    CONFIDENCE_ORDER,
    Confidence,
    Evidence,
    Improvement,
    ImprovementCode,
    IndustryChoice,
    Param,
    Reason,
)

Method = Literal["industry_licence_statistics", "profit_split"]
Level = Literal["division", "section", "national"]

# The sections whose enterprises NBS's national industrial totals (规模以上工业) cover.
INDUSTRIAL_SECTIONS = frozenset("BCD")

_START: dict[tuple[Method, Level], int] = {
    ("industry_licence_statistics", "division"): 3,
    ("industry_licence_statistics", "section"): 2,
    ("profit_split", "division"): 2,
    ("profit_split", "section"): 1,
    ("profit_split", "national"): 1,
}


def assess(
    evidence: Evidence, industry: IndustryChoice
) -> tuple[Confidence, tuple[Reason, ...], tuple[Improvement, ...]]:
    """Return the confidence of a range on `evidence`, its reasons and what would raise it."""
    code = industry.code
    current = _score(evidence.method, evidence.level, industry)
    reasons = [*evidence.fallback, evidence.basis]
    if evidence.level == "national" and code is not None and not _industrial(code):
        reasons.append(Reason("outside_industrial_total", {"industry": code}))
    if industry.origin == "ipc" and code is not None:
        reasons.append(
            Reason("industry_from_ipc", {"ipc": industry.ipc_code or "", "industry": code})
        )
    if industry.origin == "none":
        reasons.append(Reason("no_industry"))
    improvements: list[Improvement] = []
    if industry.origin in ("ipc", "none"):
        improvements.append(Improvement("state_industry"))
    if code is not None:
        level: Level = "division" if len(code) > 1 else "section"
        options: tuple[tuple[ImprovementCode, Method], ...] = (
            ("import_licence_statistics", "industry_licence_statistics"),
            ("import_margins", "profit_split"),
        )
        for improvement, method in options:
            reached = _score(method, level, industry)
            if reached > current:
                params: dict[str, Param] = {"industry": code, "to": CONFIDENCE_ORDER[reached]}
                improvements.append(Improvement(improvement, params))
    return CONFIDENCE_ORDER[current], tuple(reasons), tuple(improvements)


def _score(method: Method, level: Level, industry: IndustryChoice) -> int:
    if industry.origin == "none" or industry.code is None:
        return 0
    score = _START[(method, level)]
    if level == "national" and not _industrial(industry.code):
        score -= 1
    if industry.origin == "ipc":
        score -= 1
    return max(score, 0)


def _industrial(code: str) -> bool:
    return section_of(code) in INDUSTRIAL_SECTIONS
