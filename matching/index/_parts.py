"""The parts a VectorIndex is made of, and the operations that keep them consistent.

A flat index is one FAISS ``IndexIDMap2`` (the main part). An hnsw index adds an exact flat
delta for vectors upserted since the build and tombstones for main-part ids replaced or
removed since. ``IndexParts`` holds them with sorted id mirrors, applies upserts and removals,
reads stored vectors by id, and answers raw top-k queries through FAISS or by exact scoring;
``VectorIndex`` (in ``matching.index``) builds on it with construction, search and snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import faiss
import numpy as np

from matching.cache import ArrayMemo
from matching.index._arrays import (
    _EMPTY_IDS,
    _best_k,
    _check_ids,
    _check_vectors,
    _difference_sorted,
    _id_map,
    _isin_sorted,
    _selector,
    _sorted_unique,
    _union_sorted,
)
from matching.index._types import Ids, IndexKind, Matrix

# Exact scoring reconstructs vectors in chunks of this many rows to bound memory.
_EXACT_CHUNK: Final = 20_000
# Allowed sets whose live ids (and, when small enough to score exactly, vectors) are kept
# while the index is unchanged: at most this many x exact_subset_limit x d floats (4 x 10,000
# x 384 x 4 B = 61 MB at the defaults).
_SUBSETS_KEPT: Final = 4


@dataclass(frozen=True)
class Subset:
    """The part of an index that an allowed set selects."""

    ids: Ids | None  # live allowed ids, sorted; None when every id in the index is allowed
    vectors: Matrix | None  # their vectors, when few enough to score exactly


class IndexParts:
    """A main FAISS part, an hnsw index's delta and tombstones, and sorted id mirrors."""

    def __init__(
        self,
        main: Any,
        *,
        kind: IndexKind,
        dimension: int,
        params: dict[str, int],
        built_at: str,
        delta: Any = None,
        tombstones: Ids = _EMPTY_IDS,
    ) -> None:
        self._main = main
        self._kind: IndexKind = kind
        self._dimension = dimension
        self._params = dict(params)
        self._built_at = built_at
        self._ef_search = params.get("ef_search", 0)
        self._exact_subset_limit = params["exact_subset_limit"]
        # Only hnsw needs a delta: a flat main part supports remove_ids itself.
        if kind == "hnsw" and delta is None:
            delta = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self._delta = delta
        # Sorted id arrays mirror what FAISS holds, so membership tests are vectorised
        # searchsorted calls instead of Python loops over possibly millions of ids.
        self._main_ids = _id_map(main)
        self._delta_ids = _id_map(delta) if delta is not None else _EMPTY_IDS
        self._tombstones = np.sort(tombstones)
        self._rows: tuple[Ids, Ids] | None = None  # see _main_rows
        self._changes = 0  # bumped by every update: the stamp of the subsets kept
        self._subsets: ArrayMemo[Subset] = ArrayMemo(_SUBSETS_KEPT)

    # ----------------------------------------------------------------- updates

    def upsert(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under their ids, replacing any vector an id already has."""
        id_array = _check_ids(ids, unique=True)
        matrix = _check_vectors(vectors, self._dimension, "vectors")
        if id_array.shape[0] != matrix.shape[0]:
            raise ValueError(f"{id_array.shape[0]} ids but {matrix.shape[0]} vectors")
        if not id_array.size:
            return
        self._changes += 1
        if self._delta is None:
            present = id_array[_isin_sorted(id_array, self._main_ids)]
            if present.size:
                self._main.remove_ids(present)
            self._main.add_with_ids(matrix, id_array)
            self._main_ids = _union_sorted(self._main_ids, np.sort(id_array))
            self._rows = None
            return
        in_delta = id_array[_isin_sorted(id_array, self._delta_ids)]
        if in_delta.size:
            self._delta.remove_ids(in_delta)
        self._delta.add_with_ids(matrix, id_array)
        self._delta_ids = _union_sorted(self._delta_ids, np.sort(id_array))
        in_main = np.sort(id_array[_isin_sorted(id_array, self._main_ids)])
        self._tombstones = _union_sorted(self._tombstones, in_main)

    def remove(self, ids: np.ndarray) -> None:
        """Remove ids from the index; ids it does not hold are ignored."""
        id_array = _sorted_unique(_check_ids(ids, unique=False))
        self._changes += 1
        if self._delta is None:
            present = id_array[_isin_sorted(id_array, self._main_ids)]
            if present.size:
                self._main.remove_ids(present)
                self._main_ids = _difference_sorted(self._main_ids, present)
                self._rows = None
            return
        in_delta = id_array[_isin_sorted(id_array, self._delta_ids)]
        if in_delta.size:
            self._delta.remove_ids(in_delta)
            self._delta_ids = _difference_sorted(self._delta_ids, in_delta)
        in_main = id_array[_isin_sorted(id_array, self._main_ids)]
        self._tombstones = _union_sorted(self._tombstones, in_main)

    # ----------------------------------------------------------------- reads

    def vectors_of(self, ids: np.ndarray) -> Matrix:
        """Return the stored vectors of ids, (n, d) float32 in the order given.

        Raises:
            KeyError: some ids are not in the index (the first few are named).
        """
        id_array = _check_ids(ids, unique=False)
        in_delta = _isin_sorted(id_array, self._delta_ids)
        in_main = (
            _isin_sorted(id_array, self._main_ids)
            & ~_isin_sorted(id_array, self._tombstones)
            & ~in_delta
        )
        missing = ~(in_delta | in_main)
        if missing.any():
            raise KeyError(f"ids not in the index: {id_array[missing][:10].tolist()}")
        if in_main.all():
            return self._main_vectors(id_array)
        out = np.empty((id_array.shape[0], self._dimension), dtype=np.float32)
        out[in_main] = self._main_vectors(id_array[in_main])
        out[in_delta] = self._delta.reconstruct_batch(id_array[in_delta])
        return out

    def _main_vectors(self, ids: Ids) -> Matrix:
        """Copy the main part's vectors of ids (all present) straight out of its storage."""
        # FAISS's reconstruct_batch looks each id up in a hash map and copies one vector at a
        # time (about 5 us per id); reading rows of the storage array is a single numpy take.
        if self._rows is None:
            positions = faiss.vector_to_array(self._main.id_map).astype(np.int64)
            order = np.argsort(positions, kind="stable")
            self._rows = (positions[order], order)
        sorted_ids, rows = self._rows
        inner: Any = faiss.downcast_index(self._main.index)
        storage: Any = faiss.downcast_index(inner.storage) if self._kind == "hnsw" else inner
        count = int(storage.ntotal)
        # A view of FAISS's own buffer, valid until the index changes; take() copies out of it.
        matrix = faiss.rev_swig_ptr(storage.get_xb(), count * self._dimension)
        matrix = matrix.reshape(count, self._dimension)
        return np.asarray(matrix[rows[np.searchsorted(sorted_ids, ids)]], dtype=np.float32)

    def ids(self) -> Ids:
        """Return the live ids, sorted ascending."""
        live_main = _difference_sorted(self._main_ids, self._tombstones)
        return _union_sorted(live_main, self._delta_ids)

    def __len__(self) -> int:
        return int(self._main_ids.size - self._tombstones.size + self._delta_ids.size)

    def __contains__(self, id: object) -> bool:
        if isinstance(id, bool) or not isinstance(id, int | np.integer):
            return False
        return bool(self._present(np.array([id], dtype=np.int64)).size)

    @property
    def kind(self) -> IndexKind:
        """The index kind: "flat" (exact) or "hnsw" (approximate)."""
        return self._kind

    @property
    def dimension(self) -> int:
        """The vector dimension."""
        return self._dimension

    # ----------------------------------------------------------------- internals

    def _exact_limit(self) -> int:
        # A flat scan with a selector costs the whole index; exact scoring costs a copy of the
        # allowed vectors, about twice as much per vector, so it wins only for small subsets.
        if self._kind == "flat":
            return min(self._exact_subset_limit, len(self) // 4)
        return self._exact_subset_limit

    def _subset(self, allowed: np.ndarray) -> Subset:
        """Return what `allowed` selects; kept for a read-only array until the index changes."""

        def make() -> Subset:
            eligible = self._present(_sorted_unique(_check_ids(allowed, unique=False)))
            if eligible.size == len(self):
                return Subset(ids=None, vectors=None)  # a selector would only cost time
            # Copying a few thousand vectors out of the storage costs more than scoring them.
            small = eligible.size <= self._exact_limit()
            return Subset(ids=eligible, vectors=self.vectors_of(eligible) if small else None)

        return self._subsets.get_or_make(allowed, self._changes, make)

    def _present(self, ids: Ids) -> Ids:
        """Return the sorted unique ids that are live in the index (ids must be sorted unique)."""
        live_main = _isin_sorted(ids, self._main_ids) & ~_isin_sorted(ids, self._tombstones)
        return ids[live_main | _isin_sorted(ids, self._delta_ids)]

    def _faiss_page(
        self, queries: Matrix, k: int, eligible: Ids | None, ef_search: int
    ) -> tuple[Matrix, Ids]:
        """Search through FAISS into (n, k), settling ties across the k-th place by id."""
        fetch = k + 1
        while True:
            scores, found = self._faiss(queries, fetch, eligible, ef_search)
            # FAISS keeps whichever tied vector it met first; when the last hit fetched ties
            # the k-th, more may tie beyond it, so fetch further until the tie is all in view
            # and the smaller id can win it. Paging by growing k stays consistent that way.
            tied = (found[:, -1] >= 0) & (scores[:, -1] == scores[:, k - 1])
            if not tied.any() or fetch >= len(self):
                return scores[:, :k], found[:, :k]
            fetch *= 2

    def _faiss(
        self, queries: Matrix, k: int, eligible: Ids | None, ef_search: int
    ) -> tuple[Matrix, Ids]:
        """Search both parts through FAISS selectors into (n, k); -1 ids pad short rows."""
        allowed_sel = None if eligible is None else _selector(eligible)
        main_sel = allowed_sel
        if self._tombstones.size:
            dead = faiss.IDSelectorNot(faiss.IDSelectorBatch(self._tombstones))
            main_sel = dead if allowed_sel is None else faiss.IDSelectorAnd(dead, allowed_sel)
        parts: list[tuple[Matrix, Ids]] = []
        if self._main.ntotal:
            if self._kind == "hnsw":
                # faiss 1.15's bundled stubs lack SearchParametersHNSW; the class exists.
                params: Any = faiss.SearchParametersHNSW(  # type: ignore[attr-defined]
                    efSearch=max(ef_search, k)
                )
            else:
                params = faiss.SearchParameters()
            if main_sel is not None:
                params.sel = main_sel
            parts.append(self._main.search(queries, min(k, self._main.ntotal), params=params))
        if self._delta is not None and self._delta.ntotal:
            params = faiss.SearchParameters()
            if allowed_sel is not None:
                params.sel = allowed_sel
            parts.append(self._delta.search(queries, min(k, self._delta.ntotal), params=params))
        scores = np.concatenate([p[0] for p in parts], axis=1)
        found = np.concatenate([p[1] for p in parts], axis=1).astype(np.int64, copy=False)
        # FAISS pads with -FLT_MAX; -inf keeps padding below any real score in the merge.
        scores[found < 0] = -np.inf
        return _best_k(scores, found, k)

    def _exact(
        self, queries: Matrix, k: int, ids: Ids, vectors: Matrix | None = None
    ) -> tuple[Matrix, Ids]:
        """Score queries exactly against the vectors of ids (all present) into (n, k).

        `vectors`, when given, are the vectors of `ids` in order, already copied out.
        """
        n = queries.shape[0]
        best_scores = np.full((n, k), -np.inf, dtype=np.float32)
        best_ids = np.full((n, k), -1, dtype=np.int64)
        for start in range(0, ids.size, _EXACT_CHUNK):
            chunk = ids[start : start + _EXACT_CHUNK]
            # (vectors @ queries.T).T, not queries @ vectors.T: the same numbers, but BLAS runs
            # this form as a matrix-vector product for one query (0.1 ms for 3k x 384-d),
            # where the transposed form took 15 ms on a busy 2-core machine.
            stored = (
                self.vectors_of(chunk) if vectors is None else vectors[start : start + _EXACT_CHUNK]
            )
            chunk_scores = np.ascontiguousarray((stored @ queries.T).T)
            best_scores, best_ids = _best_k(
                np.concatenate([best_scores, chunk_scores], axis=1),
                np.concatenate([best_ids, np.broadcast_to(chunk, chunk_scores.shape)], axis=1),
                k,
            )
        return best_scores, best_ids
