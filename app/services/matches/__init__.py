"""Matching use cases: a demand's match page, an ad-hoc search, a listing's demands.

The ranking they share with the new-match alerts is `ranking`; feedback is
`app.services.feedback`.
"""

from app.services.matches.page import listing_filters, match_demand, own_demand, search
from app.services.matches.ranking import index_version
from app.services.matches.reverse import match_listing

__all__ = [
    "index_version",
    "listing_filters",
    "match_demand",
    "match_listing",
    "own_demand",
    "search",
]
