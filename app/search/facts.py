"""The filterable facts of every searchable listing, held in columns for fast masks.

A filtered search first turns its filters into the set of listing ids that pass them; doing
that in the database would cost a table scan per query at 100k listings, so each API process
keeps the few columns that filters read in numpy arrays (one row per slot) and an inverted
index of IPC prefixes; the rule that reads them is `app.search.filters.passing_ids`, beside
its SQL form. Replacing a listing frees its slot and appends a new one; `compact`
drops freed slots when they pile up.

The ids that pass a filter are kept until the table next changes (`ALLOWED_CACHE_SIZE`
filters): SMEs ask the same few filters again and again, and at 100k listings a broad one
costs a millisecond to evaluate, and the indexes' work derived from it (see
`matching.cache.ArrayMemo`) several more. Owner: each table. Invalidation: every upsert or
remove clears the kept ids, and the day is part of the key (docs/caches.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import numpy.typing as npt

from app.search.filters import FactColumns, ListingFilters, passing_ids
from matching.cache import BoundedCache

ALLOWED_CACHE_SIZE: Final = 32


@dataclass(frozen=True)
class ListingFacts:
    """What filters, ranking and explanations need to know of a listing without the database."""

    id: int
    organisation_id: int
    patent_type: str
    province: str | None
    industry_code: str | None
    ipc_codes: tuple[str, ...]
    rate_percent: float | None
    expiry_date: date
    version: int


def ipc_prefixes(code: str) -> list[str]:
    """Return every filter prefix a stored IPC code answers to: G, G06, G06F, G06F 16, itself."""
    subclass, _, rest = code.partition(" ")
    group = rest.split("/")[0]
    return [subclass[:1], subclass[:3], subclass, f"{subclass} {group}", code]


class _Codes:
    """Small integer codes for string values, so that columns are numeric."""

    def __init__(self) -> None:
        self._codes: dict[str | None, int] = {None: 0}

    def code(self, value: str | None) -> int:
        return self._codes.setdefault(value, len(self._codes))

    def find(self, value: str) -> int:
        """Return the code of `value`, or -1 when no row holds it."""
        return self._codes.get(value, -1)


@dataclass(frozen=True)
class _Allowed:
    ids: npt.NDArray[np.int64] | None  # None: nothing is filtered out


class FactTable:
    """Column store of `ListingFacts` with boolean masks for `ListingFilters`."""

    def __init__(self, capacity: int = 1024) -> None:
        self._size = 0
        self._ids = np.zeros(capacity, dtype=np.int64)
        self._alive = np.zeros(capacity, dtype=bool)
        self._org = np.zeros(capacity, dtype=np.int64)
        self._type = np.zeros(capacity, dtype=np.int16)
        self._province = np.zeros(capacity, dtype=np.int32)
        self._division = np.zeros(capacity, dtype=np.int32)
        self._section = np.zeros(capacity, dtype=np.int32)
        self._rate = np.full(capacity, np.nan)
        self._expiry = np.zeros(capacity, dtype=np.int32)
        self._codes = _Codes()
        self._slot: dict[int, int] = {}
        self._facts: dict[int, ListingFacts] = {}
        self._ipc: dict[str, set[int]] = {}
        self._ipc_sorted: dict[str, npt.NDArray[np.int64]] = {}  # built on first use
        self._allowed: BoundedCache[tuple[ListingFilters, date], _Allowed] = BoundedCache(
            ALLOWED_CACHE_SIZE
        )

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, listing_id: object) -> bool:
        return listing_id in self._slot

    def get(self, listing_id: int) -> ListingFacts | None:
        """Return the facts of a listing, if it is searchable."""
        return self._facts.get(listing_id)

    def ids(self) -> npt.NDArray[np.int64]:
        """Return the ids of every searchable listing, sorted."""
        return np.sort(self._ids[: self._size][self._alive[: self._size]])

    def upsert(self, facts: ListingFacts) -> None:
        """Add a listing, or replace what is known of it."""
        self.remove(facts.id)
        self._allowed.clear()
        if self._size == len(self._ids):
            self._grow()
        slot = self._size
        self._size += 1
        self._ids[slot] = facts.id
        self._alive[slot] = True
        self._org[slot] = facts.organisation_id
        self._type[slot] = self._codes.code(facts.patent_type)
        self._province[slot] = self._codes.code(facts.province)
        self._division[slot] = self._codes.code(facts.industry_code)
        section = facts.industry_code[:1] if facts.industry_code else None
        self._section[slot] = self._codes.code(section)
        self._rate[slot] = np.nan if facts.rate_percent is None else facts.rate_percent
        self._expiry[slot] = facts.expiry_date.toordinal()
        self._slot[facts.id] = slot
        self._facts[facts.id] = facts
        for code in facts.ipc_codes:
            for prefix in ipc_prefixes(code):
                self._ipc.setdefault(prefix, set()).add(facts.id)
                self._ipc_sorted.pop(prefix, None)
        if self._size > 2 * len(self._slot) + 1024:
            self.compact()

    def remove(self, listing_id: int) -> None:
        """Forget a listing; nothing happens if it is unknown."""
        slot = self._slot.pop(listing_id, None)
        if slot is None:
            return
        self._allowed.clear()
        self._alive[slot] = False
        facts = self._facts.pop(listing_id)
        for code in facts.ipc_codes:
            for prefix in ipc_prefixes(code):
                self._ipc_sorted.pop(prefix, None)
                members = self._ipc.get(prefix)
                if members is not None:
                    members.discard(listing_id)
                    if not members:
                        del self._ipc[prefix]

    def compact(self) -> None:
        """Rebuild the columns without the slots that replaced or removed listings left."""
        facts = list(self._facts.values())
        fresh = FactTable(capacity=max(1024, 2 * len(facts)))
        for item in facts:
            fresh.upsert(item)
        self.__dict__.update(fresh.__dict__)

    def allowed(
        self, filters: ListingFilters, today: date | None = None
    ) -> npt.NDArray[np.int64] | None:
        """Return the ids that pass `filters` (sorted), or None when nothing is filtered.

        The table only holds active listings, so `filters.status` is not consulted here, and a
        patent whose term ended today is excluded even before the nightly job marks it expired.
        The array is read-only, and the same object is returned until the table changes.
        """
        today = today or date.today()
        found = self._allowed.get_or_make(
            (filters, today), lambda: _Allowed(passing_ids(filters, today, self.columns()))
        )
        return found.ids

    def columns(self) -> FactColumns:
        """Return the live columns filters read (views of the arrays, not copies)."""
        n = self._size
        return FactColumns(
            ids=self._ids[:n],
            alive=self._alive[:n],
            organisation=self._org[:n],
            patent_type=self._type[:n],
            province=self._province[:n],
            division=self._division[:n],
            section=self._section[:n],
            rate=self._rate[:n],
            expiry=self._expiry[:n],
            code=self._codes.find,
            ipc_members=self._ipc_members,
        )

    def _ipc_members(self, prefix: str) -> npt.NDArray[np.int64]:
        """Return the ids filed under an IPC prefix, sorted (kept until the prefix changes)."""
        members = self._ipc_sorted.get(prefix)
        if members is None:
            found = self._ipc.get(prefix, set())
            members = np.sort(np.fromiter(found, dtype=np.int64, count=len(found)))
            self._ipc_sorted[prefix] = members
        return members

    def _grow(self) -> None:
        capacity = 2 * len(self._ids)
        for name in ("_ids", "_alive", "_org", "_type", "_province", "_division", "_section"):
            old = getattr(self, name)
            new = np.zeros(capacity, dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)
        rate = np.full(capacity, np.nan)
        rate[: len(self._rate)] = self._rate
        self._rate = rate
        expiry = np.zeros(capacity, dtype=np.int32)
        expiry[: len(self._expiry)] = self._expiry
        self._expiry = expiry
