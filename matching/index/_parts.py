"""The parts a vector index is made of, kept consistent under updates, and their raw queries.

A flat index is one FAISS ``IndexIDMap2`` (the main part). An hnsw index adds an exact flat
delta for vectors upserted since the build and tombstones for main-part ids replaced or
removed since. ``IndexParts`` holds them with sorted id mirrors, applies upserts and removals,
reads stored vectors by id, and answers raw top-k queries through FAISS or by exact scoring;
the ``VectorIndex`` that holds it decides which query a search makes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import faiss
import numpy as np

from matching.index._arrays import (
    EMPTY_IDS,
    best_k,
    check_ids,
    check_vectors,
    difference_sorted,
    id_map,
    isin_sorted,
    selector,
    sorted_unique,
    union_sorted,
)
from matching.index._files import write_snapshot
from matching.index._types import Ids, IndexKind, IndexMeta, Matrix

# Exact scoring reconstructs vectors in chunks of this many rows to bound memory.
_EXACT_CHUNK: Final = 20_000


class IndexParts:
    """A main FAISS part, an hnsw index's delta and tombstones, and sorted id mirrors."""

    def __init__(
        self,
        main: Any,
        *,
        kind: IndexKind,
        dimension: int,
        delta: Any = None,
        tombstones: Ids = EMPTY_IDS,
    ) -> None:
        self._main = main
        self._kind: IndexKind = kind
        self._dimension = dimension
        # Only hnsw needs a delta: a flat main part supports remove_ids itself.
        if kind == "hnsw" and delta is None:
            delta = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self._delta = delta
        # Sorted id arrays mirror what FAISS holds, so membership tests are vectorised
        # searchsorted calls instead of Python loops over possibly millions of ids.
        self._main_ids = id_map(main)
        self._delta_ids = id_map(delta) if delta is not None else EMPTY_IDS
        self._tombstones = np.sort(tombstones)
        self._rows: tuple[Ids, Ids] | None = None  # see _main_vectors

    # ----------------------------------------------------------------- updates

    def upsert(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under their ids, replacing any vector an id already has."""
        id_array = check_ids(ids, unique=True)
        matrix = check_vectors(vectors, self._dimension, "vectors")
        if id_array.shape[0] != matrix.shape[0]:
            raise ValueError(f"{id_array.shape[0]} ids but {matrix.shape[0]} vectors")
        if not id_array.size:
            return
        if self._delta is None:
            present = id_array[isin_sorted(id_array, self._main_ids)]
            if present.size:
                self._main.remove_ids(present)
            self._main.add_with_ids(matrix, id_array)
            self._main_ids = union_sorted(self._main_ids, np.sort(id_array))
            self._rows = None
            return
        in_delta = id_array[isin_sorted(id_array, self._delta_ids)]
        if in_delta.size:
            self._delta.remove_ids(in_delta)
        self._delta.add_with_ids(matrix, id_array)
        self._delta_ids = union_sorted(self._delta_ids, np.sort(id_array))
        in_main = np.sort(id_array[isin_sorted(id_array, self._main_ids)])
        self._tombstones = union_sorted(self._tombstones, in_main)

    def remove(self, ids: np.ndarray) -> None:
        """Remove ids from the index; ids it does not hold are ignored."""
        id_array = sorted_unique(check_ids(ids, unique=False))
        if self._delta is None:
            present = id_array[isin_sorted(id_array, self._main_ids)]
            if present.size:
                self._main.remove_ids(present)
                self._main_ids = difference_sorted(self._main_ids, present)
                self._rows = None
            return
        in_delta = id_array[isin_sorted(id_array, self._delta_ids)]
        if in_delta.size:
            self._delta.remove_ids(in_delta)
            self._delta_ids = difference_sorted(self._delta_ids, in_delta)
        in_main = id_array[isin_sorted(id_array, self._main_ids)]
        self._tombstones = union_sorted(self._tombstones, in_main)

    # ----------------------------------------------------------------- reads

    def vectors_of(self, ids: np.ndarray) -> Matrix:
        """Return the stored vectors of ids, (n, d) float32 in the order given.

        Raises:
            KeyError: some ids are not in the index (the first few are named).
        """
        id_array = check_ids(ids, unique=False)
        in_delta = isin_sorted(id_array, self._delta_ids)
        in_main = (
            isin_sorted(id_array, self._main_ids)
            & ~isin_sorted(id_array, self._tombstones)
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

    def present(self, ids: Ids) -> Ids:
        """Return the sorted unique ids that are live in the index (ids must be sorted unique)."""
        live_main = isin_sorted(ids, self._main_ids) & ~isin_sorted(ids, self._tombstones)
        return ids[live_main | isin_sorted(ids, self._delta_ids)]

    def ids(self) -> Ids:
        """Return the live ids, sorted ascending."""
        live_main = difference_sorted(self._main_ids, self._tombstones)
        return union_sorted(live_main, self._delta_ids)

    def __len__(self) -> int:
        return int(self._main_ids.size - self._tombstones.size + self._delta_ids.size)

    def __contains__(self, id: object) -> bool:
        if isinstance(id, bool) or not isinstance(id, int | np.integer):
            return False
        return bool(self.present(np.array([id], dtype=np.int64)).size)

    @property
    def kind(self) -> IndexKind:
        """The index kind: "flat" (exact) or "hnsw" (approximate)."""
        return self._kind

    @property
    def dimension(self) -> int:
        """The vector dimension."""
        return self._dimension

    def save(self, directory: Path, meta: IndexMeta) -> None:
        """Write the parts, then meta.json, into a snapshot directory."""
        write_snapshot(
            directory, meta, main=self._main, delta=self._delta, tombstones=self._tombstones
        )

    # ----------------------------------------------------------------- queries

    def search_faiss(
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
        allowed_sel = None if eligible is None else selector(eligible)
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
        return best_k(scores, found, k)

    def score_exact(
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
            best_scores, best_ids = best_k(
                np.concatenate([best_scores, chunk_scores], axis=1),
                np.concatenate([best_ids, np.broadcast_to(chunk, chunk_scores.shape)], axis=1),
                k,
            )
        return best_scores, best_ids
