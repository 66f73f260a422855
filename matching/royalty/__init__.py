"""matching/royalty."""

from matching.royalty._estimate import (
    CONFIDENCE_ORDER,
    DeclaredFee,
    Exclusivity,
    Improvement,
    PatentKind,
    Reason,
    RoyaltyRequest,
    RoyaltySuggestion,
    suggest,
)
from matching.royalty._tables import (
    NATIONAL,
    LicenceStat,
    Margin,
    RoyaltyTables,
    Source,
    load_tables,
)
from matching.royalty._types import Coefficient, Confidence, Figure, Param, PaymentForms, RateRange

__all__ = [
    "CONFIDENCE_ORDER",
    "Coefficient",
    "Confidence",
    "DeclaredFee",
    "Exclusivity",
    "Figure",
    "Improvement",
    "LicenceStat",
    "Margin",
    "NATIONAL",
    "Param",
    "PatentKind",
    "PaymentForms",
    "RateRange",
    "Reason",
    "RoyaltyRequest",
    "RoyaltySuggestion",
    "RoyaltyTables",
    "Source",
    "load_tables",
    "suggest",
]
