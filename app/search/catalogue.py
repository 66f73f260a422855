"""The searchable catalogue an API process holds: vectors, BM25 and filter facts of every
active listing, kept in step with the database.

The database stays the source of truth: everything here can be rebuilt from it (rule 2), and
`app.search.sync` is what fills and refreshes it. Reads and writes take one lock, because FAISS
and the BM25 index must not change under a running search; searches take milliseconds, so
the lock is never held long.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from app.search.facts import FactTable, ListingFacts
from app.search.filters import ListingFilters
from matching.index import VectorIndex
from matching.lexical import LexicalIndex
from matching.ranking import Candidate, FusionMethod, fuse

Vector = npt.NDArray[np.float32]

# A hybrid ranking is one fixed order that every page is cut from, so pages never repeat or
# skip a listing. Its first SHALLOW_DEPTH places come from fusing each retriever's top
# SHALLOW_POOL; the places after them come from fusing each retriever's top FUSION_POOL (the
# deepest the API serves: offset 1,000 + limit 100), leaving out what the first places hold.
# Nearly every request reads the first places, and a k=100 HNSW search costs a fraction of a
# k=1,100 one (docs/benchmarks.md), so only deep pages pay for the deep pools. SHALLOW_POOL is
# the depth `patentbridge evaluate` fuses (tools/evaluate/methods.py), so the first pages
# rank as the evaluation measured.
SHALLOW_DEPTH = 100
SHALLOW_POOL = 100
FUSION_POOL = 1_100
# Weight of the BM25 ranking against the dense one in the fusion. Measured with `patentbridge
# evaluate` (docs/evaluation.md): 0.5 beats 1.0 on both Chinese CSL tasks and on English
# USPPPM, and beats dense alone on Chinese, the product's main language; dense alone stays
# best on USPPPM.
LEXICAL_WEIGHT = 0.5
# An explanation leaves out query terms found in more than this share of the catalogue
# (装置, 方法, system...): they are in nearly every listing, so they explain no match. Below
# COMMON_TERM_MIN_DOCS listings the shares are too noisy to judge.
COMMON_TERM_SHARE = 0.3
COMMON_TERM_MIN_DOCS = 50
# From this many listings, a hybrid ranking runs its BM25 search in a second thread while FAISS
# searches in the caller's: both release the GIL for most of their work, so a request takes
# about the longer of the two instead of their sum (at 100k, 2-3 ms less; docs/benchmarks.md).
# Below it, both are a fraction of a millisecond and the hand-over would cost more than it saves.
PARALLEL_RETRIEVAL_MIN = 20_000
# One worker for every catalogue of the process: a catalogue ranks under its lock, so one
# ranking at a time uses it; a second catalogue (during a snapshot swap) waits its turn.
_lexical_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bm25")


@dataclass(frozen=True)
class Entry:
    """One listing as the catalogue holds it."""

    facts: ListingFacts
    vector: Vector
    tokens: list[str]


@dataclass(frozen=True)
class Ranked:
    """A page of fused candidates and how many listings were eligible."""

    candidates: list[Candidate]
    eligible: int


class Catalogue:
    """Active listings, searchable by vector and by terms, filterable by their facts."""

    def __init__(
        self,
        *,
        model_id: str,
        dimension: int,
        flat_threshold: int = 50_000,
        parallel_min: int = PARALLEL_RETRIEVAL_MIN,
    ) -> None:
        self.model_id = model_id
        self.dimension = dimension
        self.flat_threshold = flat_threshold
        self.parallel_min = parallel_min
        self._lock = threading.RLock()
        self._index = VectorIndex.empty(dimension)
        self._lexical = LexicalIndex.build([], [])
        self._facts = FactTable()
        self.watermark: datetime | None = None
        # When the last full read of the database began: every row committed before then is
        # applied here (see `catch_up_floor`).
        self.read_at: datetime | None = None
        self.source = "empty"

    def __len__(self) -> int:
        with self._lock:
            return len(self._facts)

    def __contains__(self, listing_id: object) -> bool:
        with self._lock:
            return listing_id in self._facts

    def version_of(self, listing_id: int) -> int | None:
        """Return the version of a listing as held here, or None if it is not held."""
        with self._lock:
            facts = self._facts.get(listing_id)
            return None if facts is None else facts.version

    def facts_of(self, listing_id: int) -> ListingFacts | None:
        """Return the facts held for a listing."""
        with self._lock:
            return self._facts.get(listing_id)

    def replace_all(
        self,
        entries: Sequence[Entry],
        *,
        index: VectorIndex | None = None,
        lexical: LexicalIndex | None = None,
        watermark: datetime | None,
        source: str,
    ) -> None:
        """Swap in a complete new state: built here from `entries`, or given ready-made."""
        ids = np.array([e.facts.id for e in entries], dtype=np.int64)
        if index is None:
            vectors = (
                np.stack([e.vector for e in entries])
                if entries
                else np.zeros((0, self.dimension), dtype=np.float32)
            )
            index = VectorIndex.build(ids, vectors, flat_threshold=self.flat_threshold)
        if lexical is None:
            lexical = LexicalIndex.build([int(i) for i in ids], [e.tokens for e in entries])
        facts = FactTable(capacity=max(1024, 2 * len(entries)))
        for entry in entries:
            facts.upsert(entry.facts)
        with self._lock:
            self._index, self._lexical, self._facts = index, lexical, facts
            self.watermark = watermark
            self.read_at = None  # the caller records when its read began
            self.source = source

    def apply(self, entries: Sequence[Entry], removed: Sequence[int]) -> None:
        """Add or replace `entries` and forget `removed`, all under one lock."""
        with self._lock:
            if removed:
                gone = np.array(removed, dtype=np.int64)
                self._index.remove(gone)
                for listing_id in removed:
                    self._lexical.remove(listing_id)
                    self._facts.remove(listing_id)
            if entries:
                ids = np.array([e.facts.id for e in entries], dtype=np.int64)
                self._index.upsert(ids, np.stack([e.vector for e in entries]))
                for entry in entries:
                    self._lexical.upsert(entry.facts.id, entry.tokens)
                    self._facts.upsert(entry.facts)

    def apply_facts(self, facts: Sequence[ListingFacts]) -> None:
        """Set the facts of listings whose vectors and terms are already held."""
        with self._lock:
            for item in facts:
                self._facts.upsert(item)

    def advance_watermark(
        self, watermark: datetime | None, *, read_at: datetime | None = None
    ) -> None:
        """Record the newest change time applied here and when the read that found it began."""
        with self._lock:
            if watermark is not None and (self.watermark is None or watermark > self.watermark):
                self.watermark = watermark
            if read_at is not None and (self.read_at is None or read_at > self.read_at):
                self.read_at = read_at

    def catch_up_floor(self, overlap: timedelta) -> datetime | None:
        """Return the change time after which rows may still be unseen here; None: any may.

        A row not applied here was committed after the last read of the database began, so it
        was changed after that moment less the longest transaction (`overlap`). Before any
        such read, the watermark less `overlap` stands in. Either way a pass reads only recent
        rows, not the newest writes over and over when nothing has been written for a while.
        """
        with self._lock:
            mark = self.read_at if self.read_at is not None else self.watermark
        return None if mark is None else mark - overlap

    def rank(
        self,
        vector: Vector,
        tokens: Sequence[str],
        *,
        filters: ListingFilters,
        depth: int,
        offset: int = 0,
        method: FusionMethod = "hybrid",
        exclude: Sequence[int] = (),
        today: date | None = None,
    ) -> Ranked:
        """Return the listings ranked `offset` to `depth` for a query, among those that pass.

        Both retrievers search only the allowed ids, so a filter that keeps few listings still
        yields a full page whenever enough listings pass it. The hybrid order does not depend on
        the page asked for (see SHALLOW_DEPTH): a fusion of lists cut at `offset + limit` would
        order listings differently from page to page.
        """
        with self._lock:
            allowed = self._facts.allowed(filters, today)
            if exclude:
                base = allowed if allowed is not None else self._facts.ids()
                allowed = base[~np.isin(base, np.array(exclude, dtype=np.int64))]
            eligible = len(self._facts) if allowed is None else int(allowed.size)
            if eligible == 0:
                return Ranked(candidates=[], eligible=0)
            if method == "hybrid":
                page = self._hybrid(vector, tokens, allowed, offset=offset, depth=depth)
            else:
                dense, lexical = self._retrieve(vector, tokens, allowed, depth, method)
                page = fuse(dense, lexical, method=method, start=offset, stop=depth)
            return Ranked(candidates=self._complete(page, vector, tokens), eligible=eligible)

    def _retrieve(
        self,
        vector: Vector,
        tokens: Sequence[str],
        allowed: npt.NDArray[np.int64] | None,
        pool: int,
        method: FusionMethod,
    ) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        dense: list[tuple[int, float]] = []
        lexical: list[tuple[int, float]] = []
        if method == "hybrid" and tokens and len(self._facts) >= self.parallel_min:
            # Called under the lock, and waited for before it is released: no writer can
            # change the BM25 index under the worker.
            future = _lexical_worker.submit(self._lexical.search, tokens, pool, allowed)
            try:
                dense = self._dense(vector, pool, allowed)
            finally:
                wait([future])
            return dense, future.result()
        if method != "lexical":
            dense = self._dense(vector, pool, allowed)
        if method != "dense" and tokens:
            lexical = self._lexical.search(tokens, pool, allowed)
        return dense, lexical

    def _dense(
        self, vector: Vector, pool: int, allowed: npt.NDArray[np.int64] | None
    ) -> list[tuple[int, float]]:
        hits = self._index.search(vector.reshape(1, -1), pool, allowed)[0]
        return [(hit.id, hit.score) for hit in hits]

    def _hybrid(
        self,
        vector: Vector,
        tokens: Sequence[str],
        allowed: npt.NDArray[np.int64] | None,
        *,
        offset: int,
        depth: int,
    ) -> list[Candidate]:
        dense, lexical = self._retrieve(vector, tokens, allowed, SHALLOW_POOL, "hybrid")
        if depth <= SHALLOW_DEPTH:
            # The first places' slice, without making candidates of the places around it.
            page = fuse(dense, lexical, lexical_weight=LEXICAL_WEIGHT, start=offset, stop=depth)
            if len(page) == depth - offset:
                return page
        head = fuse(dense, lexical, lexical_weight=LEXICAL_WEIGHT, stop=SHALLOW_DEPTH)
        if depth <= len(head):
            return head[offset:depth]
        dense, lexical = self._retrieve(vector, tokens, allowed, max(depth, FUSION_POOL), "hybrid")
        # The deep fusion's first `depth` places hold at most len(head) placed listings, so
        # what is left of them is enough to reach `depth`.
        placed = {c.id for c in head}
        deep = fuse(dense, lexical, lexical_weight=LEXICAL_WEIGHT, stop=depth)
        rest = [c for c in deep if c.id not in placed]
        return (head + rest)[offset:depth]

    def _complete(
        self, candidates: list[Candidate], vector: Vector, tokens: Sequence[str]
    ) -> list[Candidate]:
        # A listing found by one retriever still shows the other's score, for the explanation.
        no_semantic = np.array([c.id for c in candidates if c.semantic is None], dtype=np.int64)
        semantic: dict[int, float] = {}
        if no_semantic.size:
            scores = self._index.vectors_of(no_semantic) @ vector
            semantic = dict(zip(no_semantic.tolist(), scores.tolist(), strict=True))
        no_lexical = [c.id for c in candidates if c.lexical is None]
        lexical = self._lexical.scores_for(tokens, no_lexical) if tokens and no_lexical else {}
        return [
            replace(
                c,
                semantic=semantic.get(c.id, c.semantic),
                lexical=lexical.get(c.id, c.lexical),
            )
            for c in candidates
        ]

    def lexical_scores(self, tokens: Sequence[str], ids: Sequence[int]) -> dict[int, float]:
        """Return the BM25 scores of the given listings for `tokens`."""
        with self._lock:
            return self._lexical.scores_for(tokens, ids)

    def idf(self, token: str) -> float:
        """Return the BM25 inverse document frequency of a token."""
        with self._lock:
            return self._lexical.idf(token)

    def common_term_idf(self) -> float:
        """Return the idf below which a term is too common to explain a match (0 when small)."""
        with self._lock:
            if len(self._lexical) < COMMON_TERM_MIN_DOCS:
                return 0.0
            return self._lexical.idf_at_share(COMMON_TERM_SHARE)

    def snapshot_parts(self) -> tuple[VectorIndex, LexicalIndex]:
        """Return the current index objects (for a snapshot writer holding no other lock)."""
        with self._lock:
            return self._index, self._lexical
