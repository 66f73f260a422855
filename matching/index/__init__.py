"""Vector index over FAISS: listing ids and unit vectors in, ranked hits out, snapshots on disk.

``VectorIndex`` is the one entry point: create it with ``build`` (from ids and vectors),
``empty`` (a dimension) or ``load`` (a snapshot directory); change it with ``upsert`` and
``remove``; read it with ``search``, ``vectors_of``, ``ids``, ``len`` and ``in``; write it with
``save`` (its sidecar from ``describe``) and read a sidecar alone with ``read_meta``.

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

Layout (private modules): ``_index`` (``VectorIndex``: construction, the search policy,
snapshots), ``_parts`` (the FAISS parts it holds and their raw queries), ``_arrays`` (id and
vector checks, sorted-id sets, top-k merges), ``_files`` (snapshot files), ``_types``.

Errors::

    SnapshotError           a snapshot directory cannot be used
    ├── IndexMismatch       built by another embedder (model id or dimension): rebuild
    └── IndexCorrupt        incomplete or damaged (no meta.json, truncated file, bad JSON)
    FileNotFoundError       no snapshot directory at all
    ValueError              bad ids, vectors or arguments
    KeyError                ``vectors_of`` asked for an id that is not in the index
"""

from matching.index._files import fsync_directory
from matching.index._index import VectorIndex
from matching.index._types import (
    DELTA_FILE,
    MAIN_FILE,
    META_FILE,
    TOMBSTONES_FILE,
    Hit,
    IndexCorrupt,
    IndexKind,
    IndexMeta,
    IndexMismatch,
    SnapshotError,
)

__all__ = [
    "DELTA_FILE",
    "MAIN_FILE",
    "META_FILE",
    "TOMBSTONES_FILE",
    "Hit",
    "IndexCorrupt",
    "IndexKind",
    "IndexMeta",
    "IndexMismatch",
    "SnapshotError",
    "VectorIndex",
    "fsync_directory",
]
