"""What a match result shows of a listing, kept per listing version across requests.

Building a listing's API view, its matching text and that text's sentences costs about a
third of a millisecond a listing; the same listings come back page after page (an SME pages,
filters, asks again tomorrow), so the last `VIEW_CACHE_SIZE` are kept. The key holds
everything the view is made of that can change — the listing's version and update time, its
holder's name, kind and province, and today's date (the remaining term counts from it) — so
a stale view is never served, only not reused.

Owner: this module (`views`, one per process). Invalidation: by key, never by a call — an
edit moves the version and update time, a holder rename changes its name, midnight changes
the date; an unreachable entry simply ages out of the LRU. docs/caches.md has the figures.

A page of results first reads only those few columns of its listings (`active`); whole rows,
with their abstracts and claims, are read only for listings whose view is not kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Listing, ListingStatus, Organisation
from app.schemas import ListingRead
from app.services.listings.service import to_read
from app.services.royalty.service import request_for
from matching.cache import BoundedCache
from matching.royalty import RoyaltyRequest
from matching.text import listing_text, sentences

VIEW_CACHE_SIZE: Final = 2_000  # a few KB each: ~10 MB at most

_Key = tuple[int, int, datetime, date, str, str | None, str]


@dataclass(frozen=True)
class ListingView:
    """A listing's API view, the text it is matched on, its sentences, its royalty input."""

    read: ListingRead
    text: str
    sentences: list[str]
    royalty: RoyaltyRequest  # with no licensee industry: each request sets its own


class ListingViews:
    """A bounded, thread-safe map from a listing's current state to its view."""

    def __init__(self, size: int = VIEW_CACHE_SIZE, today: Callable[[], date] = date.today) -> None:
        self._views: BoundedCache[_Key, ListingView] = BoundedCache(size)
        self._today = today  # a test moves the day on without waiting for midnight

    def of(self, listing: Listing) -> ListingView:
        """Return the view of `listing` as it is now."""
        org = listing.organisation
        key = self._key(
            listing.id, listing.version, listing.updated_at, org.name, org.province, org.kind
        )
        return self._views.get_or_make(key, lambda: build(listing))

    def active(self, session: Session, ids: Sequence[int]) -> dict[int, ListingView]:
        """Return the views of those of `ids` that are active in the database now."""
        # The status is checked here, not in SQL: given `status = ?` as well, SQLite walks the
        # status index (every active listing) instead of looking up ten primary keys.
        states = session.execute(
            select(
                Listing.id,
                Listing.version,
                Listing.updated_at,
                Organisation.name,
                Organisation.province,
                Organisation.kind,
                Listing.status,
            )
            .join(Organisation, Listing.organisation_id == Organisation.id)
            .where(Listing.id.in_(ids))
        )
        found: dict[int, ListingView] = {}
        missing: list[int] = []
        for listing_id, version, updated_at, holder, province, kind, status in states:
            if status is not ListingStatus.ACTIVE:
                continue
            view = self._views.get(
                self._key(listing_id, version, updated_at, holder, province, kind)
            )
            if view is None:
                missing.append(listing_id)
            else:
                found[listing_id] = view
        if missing:
            rows = session.scalars(select(Listing).where(Listing.id.in_(missing)))
            # Withdrawn a moment ago, between the two reads: left out like any other.
            found |= {row.id: self.of(row) for row in rows if row.status is ListingStatus.ACTIVE}
        return found

    def __len__(self) -> int:
        return len(self._views)

    def _key(
        self,
        listing_id: int,
        version: int,
        updated_at: datetime,
        holder: str,
        province: str | None,
        kind: object,
    ) -> _Key:
        return (listing_id, version, updated_at, self._today(), holder, province, str(kind))


def build(listing: Listing) -> ListingView:
    """Return the view of `listing`, built now (what a miss of `ListingViews` does)."""
    text = listing_text(listing.title, listing.abstract, listing.claims)
    return ListingView(
        read=to_read(listing),
        text=text,
        sentences=sentences(text),
        royalty=request_for(listing),
    )


views = ListingViews()
