"""Index snapshots on disk: one directory per snapshot, a `CURRENT` file naming the live one.

    INDEX_DIR/
        CURRENT                      the name of the live snapshot (replaced atomically)
        snapshots/<name>/vectors/    VectorIndex.save: FAISS files + meta.json sidecar
        snapshots/<name>/lexical/    LexicalIndex.save

A snapshot directory is written under a temporary name and renamed when complete, and
`CURRENT` is switched only after that, so a crash at any point leaves the old snapshot live.
Snapshots are a cache: deleting them all loses nothing, the database rebuilds them.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from matching.index import IndexCorrupt, IndexMeta, VectorIndex
from matching.lexical import LexicalIndex

CURRENT_FILE = "CURRENT"
SNAPSHOTS_DIR = "snapshots"


@dataclass(frozen=True)
class Snapshot:
    name: str
    path: Path
    index: VectorIndex
    lexical: LexicalIndex
    meta: IndexMeta
    watermark: datetime | None


def current_name(index_dir: Path) -> str | None:
    """Return the name of the live snapshot, or None when there is none."""
    try:
        name = (index_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def load_newest(index_dir: Path, *, model_id: str, dimension: int) -> Snapshot | None:
    """Load the live snapshot, or return None when none was ever written.

    Raises:
        IndexMismatch: the snapshot was built with another model.
        IndexCorrupt: the snapshot named by CURRENT is incomplete or damaged.
    """
    name = current_name(index_dir)
    if name is None:
        return None
    path = index_dir / SNAPSHOTS_DIR / name
    if not path.is_dir():
        raise IndexCorrupt(f"{index_dir / CURRENT_FILE} names {name}, which does not exist")
    index, meta = VectorIndex.load(path / "vectors", model_id=model_id, dimension=dimension)
    try:
        lexical = LexicalIndex.load(path / "lexical")
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"{path / 'lexical'}: {exc}") from exc
    watermark = datetime.fromisoformat(meta.watermark) if meta.watermark else None
    return Snapshot(
        name=name, path=path, index=index, lexical=lexical, meta=meta, watermark=watermark
    )


def write(
    index_dir: Path,
    index: VectorIndex,
    lexical: LexicalIndex,
    *,
    model_id: str,
    watermark: datetime | None,
) -> Snapshot:
    """Write a new snapshot and make it the live one; return it."""
    name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    root = index_dir / SNAPSHOTS_DIR
    staging = root / f".{name}.partial"
    final = root / name
    staging.mkdir(parents=True, exist_ok=False)
    try:
        meta = index.describe(
            model_id=model_id, watermark=watermark.isoformat() if watermark else None
        )
        index.save(staging / "vectors", meta)
        lexical.save(staging / "lexical")
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    pointer = index_dir / f".{CURRENT_FILE}.tmp"
    with open(pointer, "w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / CURRENT_FILE)
    return Snapshot(
        name=name, path=final, index=index, lexical=lexical, meta=meta, watermark=watermark
    )
