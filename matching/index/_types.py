"""The vector index's value types, errors and snapshot file names, shared by its modules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

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
