"""matching/index."""

from matching.index._files import fsync_directory
from matching.index._index import (
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
    VectorIndex,
)

__all__ = [
    "DELTA_FILE",
    "Hit",
    "IndexCorrupt",
    "IndexKind",
    "IndexMeta",
    "IndexMismatch",
    "MAIN_FILE",
    "META_FILE",
    "SnapshotError",
    "TOMBSTONES_FILE",
    "VectorIndex",
    "fsync_directory",
]
