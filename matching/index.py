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
  ``efSearch`` widened by 1/sqrt(fraction allowed)); an HNSW query that still comes back short
  is retried with a larger ``efSearch`` and then answered exactly.
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

import errno
import io
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

import faiss
import numpy as np
import numpy.typing as npt

IndexKind = Literal["flat", "hnsw"]
Ids = npt.NDArray[np.int64]
Matrix = npt.NDArray[np.float32]

FORMAT_VERSION: Final = 1
META_FILE: Final = "meta.json"
MAIN_FILE: Final = "vectors.faiss"
DELTA_FILE: Final = "delta.faiss"
TOMBSTONES_FILE: Final = "tombstones.npy"

# Filtered searches allowing at most this many ids score them exactly: gathering and scoring
# 10k 384-d vectors takes ~5-10 ms on 2 cores, about what an HNSW walk with a widened beam
# costs, and it is exact however selective the filter.
EXACT_SUBSET_LIMIT: Final = 10_000
_NORM_TOLERANCE: Final = 1e-3
# An HNSW query that returns short (a selective filter, many tombstones) is retried with
# efSearch multiplied by these factors before falling back to exact scoring.
_EF_RETRY_FACTORS: Final = (4, 16)
# Exact scoring reconstructs vectors in chunks of this many rows to bound memory.
_EXACT_CHUNK: Final = 20_000
_EMPTY_IDS: Final[Ids] = np.empty(0, dtype=np.int64)
_MAX_THREADS: Final = faiss.omp_get_max_threads()
_BATCH_FOR_THREADS: Final = 16
_T = TypeVar("_T")


class SnapshotError(Exception):
    """A snapshot directory cannot be loaded."""


class IndexMismatch(SnapshotError):
    """The snapshot was built by another embedder (model id or dimension)."""


class IndexCorrupt(SnapshotError):
    """The snapshot directory is incomplete or damaged."""


@dataclass(frozen=True)
class IndexMeta:
    """The sidecar saved beside a snapshot: what built it and what it contains."""

    model_id: str
    dimension: int
    count: int
    index_type: IndexKind
    built_at: str  # ISO 8601 UTC
    watermark: str | None  # newest updated_at of the rows included (ISO), set by the caller
    params: dict[str, int]


@dataclass(frozen=True)
class Hit:
    """One search result: a caller id and its cosine score."""

    id: int
    score: float


class VectorIndex:
    """Caller-id vector index with exact or HNSW search; create with build, empty or load."""

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

    # ----------------------------------------------------------------- construction

    @classmethod
    def build(
        cls,
        ids: np.ndarray,
        vectors: np.ndarray,
        *,
        kind: IndexKind | Literal["auto"] = "auto",
        flat_threshold: int = 50_000,
        hnsw_m: int = 32,
        ef_construction: int = 200,
        ef_search: int = 128,
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
        hnsw_m: int = 32,
        ef_construction: int = 200,
        ef_search: int = 128,
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

    # ----------------------------------------------------------------- updates

    def upsert(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under their ids, replacing any vector an id already has."""
        id_array = _check_ids(ids, unique=True)
        matrix = _check_vectors(vectors, self._dimension, "vectors")
        if id_array.shape[0] != matrix.shape[0]:
            raise ValueError(f"{id_array.shape[0]} ids but {matrix.shape[0]} vectors")
        if not id_array.size:
            return
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
        eligible: Ids | None = None
        if allowed is not None:
            eligible = self._present(_sorted_unique(_check_ids(allowed, unique=False)))
            if eligible.size == len(self):
                eligible = None  # every id is allowed: a selector would only cost time
        available = len(self) if eligible is None else int(eligible.size)
        if available == 0:
            return [[] for _ in range(matrix.shape[0])]
        if eligible is not None and eligible.size <= self._exact_limit():
            # Scoring a few thousand vectors exactly is faster than any graph walk and can
            # never come back short, however selective the filter.
            return _to_hits(*self._exact(matrix, k, eligible))
        ef_search = self._ef_search
        if eligible is not None:
            # A filter thins the allowed nodes along the graph walk, and recall falls with it
            # (random 64-d, 1% allowed, efSearch 128: 0.79); widening the beam by
            # 1/sqrt(fraction allowed) restores it (same case, efSearch 1280: 1.0).
            ef_search = int(ef_search * min(16.0, (len(self) / eligible.size) ** 0.5))
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
        directory.mkdir(parents=True, exist_ok=True)
        # Drop the old sidecar first: until the new one lands, the directory must read as
        # incomplete rather than pair an old meta.json with new FAISS files.
        (directory / META_FILE).unlink(missing_ok=True)
        main, delta = self._main, self._delta
        files = {MAIN_FILE: _write_atomic(directory / MAIN_FILE, _faiss_writer(main))}
        if delta is not None and delta.ntotal:
            files[DELTA_FILE] = _write_atomic(directory / DELTA_FILE, _faiss_writer(delta))
        if self._tombstones.size:
            buffer = io.BytesIO()
            np.save(buffer, self._tombstones, allow_pickle=False)
            files[TOMBSTONES_FILE] = _write_atomic(
                directory / TOMBSTONES_FILE, lambda path: path.write_bytes(buffer.getvalue())
            )
        for stale in (DELTA_FILE, TOMBSTONES_FILE):
            if stale not in files:
                (directory / stale).unlink(missing_ok=True)
        document = {"format_version": FORMAT_VERSION, **asdict(meta), "files": files}
        text = json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
        _write_atomic(directory / META_FILE, lambda path: path.write_bytes(text))
        _fsync_directory(directory)

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
        if not directory.is_dir():
            raise FileNotFoundError(errno.ENOENT, "no index snapshot directory", str(directory))
        meta, files = _read_meta(directory)
        if (meta.model_id, meta.dimension) != (model_id, dimension):
            raise IndexMismatch(
                f"index snapshot at {directory} was built with model {meta.model_id!r} "
                f"({meta.dimension}-d); the running embedder is {model_id!r} ({dimension}-d): "
                "rebuild the index (patentbridge reindex)"
            )
        if MAIN_FILE not in files:
            raise IndexCorrupt(f"{directory / META_FILE} lists no {MAIN_FILE}")
        main = _read_faiss(directory, MAIN_FILE, files, meta)
        delta = _read_faiss(directory, DELTA_FILE, files, meta) if DELTA_FILE in files else None
        tombstones = _EMPTY_IDS
        if TOMBSTONES_FILE in files:
            path = _checked_file(directory, TOMBSTONES_FILE, files)
            try:
                tombstones = np.asarray(np.load(path, allow_pickle=False), dtype=np.int64)
            except ValueError as exc:
                raise IndexCorrupt(f"{path}: unreadable tombstones ({exc})") from exc
        inner = faiss.downcast_index(main.index)
        if meta.index_type == "hnsw" and isinstance(inner, faiss.IndexHNSWFlat):
            inner.hnsw.efSearch = meta.params.get("ef_search", 128)
        elif not (meta.index_type == "flat" and isinstance(inner, faiss.IndexFlatIP)):
            raise IndexCorrupt(f"{directory / MAIN_FILE} is not a {meta.index_type} index")
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

    # ----------------------------------------------------------------- internals

    def _exact_limit(self) -> int:
        # A flat scan with a selector costs the whole index; exact scoring costs a copy of the
        # allowed vectors, about twice as much per vector, so it wins only for small subsets.
        if self._kind == "flat":
            return min(self._exact_subset_limit, len(self) // 4)
        return self._exact_subset_limit

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

    def _exact(self, queries: Matrix, k: int, ids: Ids) -> tuple[Matrix, Ids]:
        """Score queries exactly against the vectors of ids (all present) into (n, k)."""
        n = queries.shape[0]
        best_scores = np.full((n, k), -np.inf, dtype=np.float32)
        best_ids = np.full((n, k), -1, dtype=np.int64)
        for start in range(0, ids.size, _EXACT_CHUNK):
            chunk = ids[start : start + _EXACT_CHUNK]
            # (vectors @ queries.T).T, not queries @ vectors.T: the same numbers, but BLAS runs
            # this form as a matrix-vector product for one query (0.1 ms for 3k x 384-d),
            # where the transposed form took 15 ms on a busy 2-core machine.
            chunk_scores = np.ascontiguousarray((self.vectors_of(chunk) @ queries.T).T)
            best_scores, best_ids = _best_k(
                np.concatenate([best_scores, chunk_scores], axis=1),
                np.concatenate([best_ids, np.broadcast_to(chunk, chunk_scores.shape)], axis=1),
                k,
            )
        return best_scores, best_ids


# --------------------------------------------------------------------- array helpers


def _check_ids(ids: object, *, unique: bool) -> Ids:
    array = np.asarray(ids)
    if array.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"ids must be integers, got dtype {array.dtype}")
    out = np.ascontiguousarray(array, dtype=np.int64)
    # FAISS reports "no result" as -1, so a negative id would be indistinguishable from it.
    if out.size and out.min() < 0:
        raise ValueError("ids must be non-negative")
    if unique:
        ordered = np.sort(out)
        repeated = ordered[1:][ordered[1:] == ordered[:-1]]
        if repeated.size:
            raise ValueError(f"duplicate ids: {np.unique(repeated)[:10].tolist()}")
    return out


def _sorted_unique(ids: Ids) -> Ids:
    # np.unique hashes before sorting (2 ms for 10k ids in numpy 2.4); a sort is 0.1 ms and
    # nearly free on the already-sorted id lists callers usually pass.
    ordered = np.sort(ids)
    first = np.ones(ordered.shape, dtype=np.bool_)
    first[1:] = ordered[1:] != ordered[:-1]
    return ordered[first]


def _check_vectors(
    vectors: object, dimension: int | None, what: str, *, one_row_ok: bool = False
) -> Matrix:
    array = np.asarray(vectors)
    if one_row_ok and array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array, got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"{what} must be floating point, got dtype {array.dtype}")
    if dimension is not None and array.shape[1] != dimension:
        raise ValueError(f"{what} have dimension {array.shape[1]}, the index has {dimension}")
    if array.shape[1] < 1:
        raise ValueError(f"{what} must have a positive dimension")
    out = np.ascontiguousarray(array, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1)
    bad = ~(np.abs(norms - 1.0) <= _NORM_TOLERANCE)  # written so NaN norms count as bad
    if bad.any():
        rows = np.flatnonzero(bad)[:5]
        raise ValueError(
            f"{what} must be finite and L2-normalised; rows {rows.tolist()} have norms "
            f"{[round(float(x), 4) for x in norms[rows]]}"
        )
    return out


def _isin_sorted(values: Ids, sorted_ids: Ids) -> npt.NDArray[np.bool_]:
    if not sorted_ids.size:
        return np.zeros(values.shape, dtype=np.bool_)
    positions = np.searchsorted(sorted_ids, values).clip(max=sorted_ids.size - 1)
    return np.asarray(sorted_ids[positions] == values, dtype=np.bool_)


def _union_sorted(a: Ids, b: Ids) -> Ids:
    """Merge sorted unique b into sorted unique a (np.union1d re-sorts everything)."""
    new = b[~_isin_sorted(b, a)]
    return np.insert(a, np.searchsorted(a, new), new)


def _difference_sorted(a: Ids, b: Ids) -> Ids:
    """Return sorted a without the ids in sorted b."""
    return a[~_isin_sorted(a, b)]


def _id_map(index: Any) -> Ids:
    return np.sort(faiss.vector_to_array(index.id_map).astype(np.int64))


def _selector(ids: Ids) -> Any:
    """Build an IDSelector for sorted unique ids."""
    top = int(ids[-1])
    # Database keys are usually dense, and a bitmap is built with numpy in a millisecond,
    # where IDSelectorBatch's hash set costs ~0.1 us per id (12 ms at 100k ids).
    if top < 64 * ids.size + 65_536:
        bits = np.zeros(top + 1, dtype=np.bool_)
        bits[ids] = True
        packed = np.packbits(bits, bitorder="little")
        # The stub knows only the C (n, pointer) form; the wrapper's one-array form also keeps
        # the array alive as long as the selector.
        return faiss.IDSelectorBitmap(packed)  # type: ignore[call-arg, arg-type]
    return faiss.IDSelectorBatch(ids)


def _best_k(scores: Matrix, ids: Ids, k: int) -> tuple[Matrix, Ids]:
    """Keep each row's k best by (score descending, id ascending), padding with -1 ids."""
    n, m = scores.shape
    if m < k:
        scores = np.concatenate([scores, np.full((n, k - m), -np.inf, np.float32)], axis=1)
        ids = np.concatenate([ids, np.full((n, k - m), -1, np.int64)], axis=1)
        m = k
    if m > k:
        kth = np.partition(scores, m - k, axis=1)[:, m - k : m - k + 1]
        keep = scores >= kth
        # Usually exactly k columns reach the k-th score; when ties straddle the cut, sort
        # every column instead so the smaller id wins the tie.
        if (keep.sum(axis=1) == k).all():
            columns = np.nonzero(keep)[1].reshape(n, k)
            scores = np.take_along_axis(scores, columns, axis=1)
            ids = np.take_along_axis(ids, columns, axis=1)
    order = np.lexsort((ids, -scores), axis=1)[:, :k]
    return np.take_along_axis(scores, order, axis=1), np.take_along_axis(ids, order, axis=1)


def _to_hits(scores: Matrix, ids: Ids) -> list[list[Hit]]:
    return [
        [Hit(i, s) for i, s in zip(row_ids, row_scores, strict=True) if i >= 0]
        for row_ids, row_scores in zip(ids.tolist(), scores.tolist(), strict=True)
    ]


# --------------------------------------------------------------------- file helpers


def _write_atomic(path: Path, write: Callable[[Path], object]) -> int:
    """Write through a temporary name, fsync, rename into place; return the size in bytes."""
    temporary = path.with_name(f".{path.name}.tmp")
    write(temporary)
    with open(temporary, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path.stat().st_size


def _faiss_writer(index: Any) -> Callable[[Path], None]:
    return lambda path: faiss.write_index(index, str(path))


def _fsync_directory(directory: Path) -> None:
    # The renames are durable only once the directory entry itself is flushed.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _read_meta(directory: Path) -> tuple[IndexMeta, dict[str, int]]:
    path = directory / META_FILE
    if not path.is_file():
        raise IndexCorrupt(
            f"{directory} has no {META_FILE}: the snapshot is incomplete (an interrupted save?); "
            "load another snapshot or rebuild the index"
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        version = document["format_version"]
        if version != FORMAT_VERSION:
            raise IndexCorrupt(
                f"{path}: snapshot format version {version!r}; this code reads {FORMAT_VERSION}"
            )
        params = document["params"]
        files = document["files"]
        watermark = document["watermark"]
        meta = IndexMeta(
            model_id=_typed(document["model_id"], str),
            dimension=_typed(document["dimension"], int),
            count=_typed(document["count"], int),
            index_type=document["index_type"],
            built_at=_typed(document["built_at"], str),
            watermark=None if watermark is None else _typed(watermark, str),
            params={_typed(key, str): _typed(value, int) for key, value in params.items()},
        )
        sizes = {_typed(key, str): _typed(value, int) for key, value in files.items()}
        if meta.index_type not in ("flat", "hnsw"):
            raise ValueError(f"unknown index_type {meta.index_type!r}")
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"{path} is not a valid snapshot sidecar: {exc}") from exc
    return meta, sizes


def _typed(value: object, kind: type[_T]) -> _T:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"expected {kind.__name__}, got {value!r}")
    return value


def _checked_file(directory: Path, name: str, sizes: dict[str, int]) -> Path:
    path = directory / name
    if not path.is_file():
        raise IndexCorrupt(f"{path} is listed in {META_FILE} but missing")
    if path.stat().st_size != sizes[name]:
        raise IndexCorrupt(
            f"{path} has {path.stat().st_size} bytes, {META_FILE} says {sizes[name]}"
        )
    return path


def _read_faiss(directory: Path, name: str, sizes: dict[str, int], meta: IndexMeta) -> Any:
    path = _checked_file(directory, name, sizes)
    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        raise IndexCorrupt(f"{path}: FAISS cannot read it ({exc})") from exc
    if not isinstance(index, faiss.IndexIDMap2) or index.d != meta.dimension:
        raise IndexCorrupt(f"{path} is not a {meta.dimension}-d IndexIDMap2")
    return index
