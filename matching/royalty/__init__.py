"""Royalty guidance: a sourced, explainable royalty range for one open-licence patent.

The estimate is guidance for a negotiation, not a price: for a patent and the licence asked for
(``RoyaltyRequest``: patent type, remaining term, exclusivity, the licensee's industry, its
expected sales and budget, the fee the listing declares), ``suggest`` returns a low / mid / high
royalty rate on sales (``RateRange``), following the steps of CNIPA's 专利开放许可使用费估算指引:
a base rate from recorded licence rates of the licensee's industry, else a profit split on the
industry's sales margin; adjustment coefficients (patent type, term, exclusivity, grant),
capped at the 2024 notice's ceiling; the fee in each payment form (lump sum, entry fee plus
running royalty); the declared fee placed against the range; a sanity band of published
international rates. Every number is a ``Figure`` or ``Coefficient`` that names its sources,
and ``RoyaltySuggestion.sources`` holds them.

Contract:

* ``load_tables(data_dir)`` reads the shipped evidence tables (``data/royalty/``);
  ``RoyaltyTables.with_imports`` lays an operator's imported official tables over them.
* ``suggest(request, tables)`` is pure: the same request and tables give the same suggestion.
* How sure the range is (``Confidence``, ordered by ``CONFIDENCE_ORDER``), why (``Reason``) and
  which data would make it surer (``Improvement``) are codes with parameters; the caller words
  them in any language.
* A licensee's budget is compared with the fees, never taken for its sales.

Layout (private modules): ``_estimate`` (``suggest``: industry, base rate, coefficients),
``_confidence`` (the confidence level and its reasons), ``_forms`` (payment forms, the declared
fee, the sanity band), ``_tables`` (the evidence tables and their loading), ``_types``.
"""

from matching.royalty._estimate import suggest
from matching.royalty._tables import (
    NATIONAL,
    LicenceStat,
    Margin,
    RoyaltyTables,
    Source,
    load_tables,
)
from matching.royalty._types import (
    CONFIDENCE_ORDER,
    Coefficient,
    Confidence,
    DeclaredFee,
    Exclusivity,
    Figure,
    Improvement,
    Param,
    PatentKind,
    PaymentForms,
    RateRange,
    Reason,
    RoyaltyRequest,
    RoyaltySuggestion,
)

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
