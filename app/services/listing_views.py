"""What a match result shows of a listing, kept per listing version across requests.

Building a listing's API view, its matching text and that text's sentences costs about a
third of a millisecond a listing; the same listings come back page after page (an SME pages,
filters, asks again tomorrow), so the last `VIEW_CACHE_SIZE` are kept. The key holds
everything the view is made of that can change — the listing's version and update time, its
holder's name, kind and province, and today's date (the remaining term counts from it) — so
a stale view is never served, only not reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from app.models import Listing
from app.schemas import ListingRead
from app.services.listings import to_read
from matching.cache import BoundedCache
from matching.text import listing_text, sentences

VIEW_CACHE_SIZE: Final = 2_000  # a few KB each: ~10 MB at most

_Key = tuple[int, int, datetime, date, str, str | None, str]


@dataclass(frozen=True)
class ListingView:
    """A listing's API view, the text it is matched on, and that text's sentences."""

    read: ListingRead
    text: str
    sentences: list[str]


class ListingViews:
    """A bounded, thread-safe map from a listing's current state to its view."""

    def __init__(self, size: int = VIEW_CACHE_SIZE) -> None:
        self._views: BoundedCache[_Key, ListingView] = BoundedCache(size)

    def of(self, listing: Listing) -> ListingView:
        """Return the view of `listing` as it is now."""
        org = listing.organisation
        key: _Key = (
            listing.id,
            listing.version,
            listing.updated_at,
            date.today(),
            org.name,
            org.province,
            org.kind.value,
        )
        return self._views.get_or_make(key, lambda: _view(listing))

    def __len__(self) -> int:
        return len(self._views)


def _view(listing: Listing) -> ListingView:
    text = listing_text(listing.title, listing.abstract, listing.claims)
    return ListingView(read=to_read(listing), text=text, sentences=sentences(text))


views = ListingViews()
