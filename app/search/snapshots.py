"""Index snapshots on disk: one directory per snapshot, a `CURRENT` file naming the live one.

    INDEX_DIR/
        CURRENT                      the name of the live snapshot (replaced atomically)
        reindex.lock                 held by a running re-index (app.search.reindex.lock)
        snapshots/<name>/vectors/    VectorIndex.save: FAISS files + meta.json sidecar
        snapshots/<name>/lexical/    LexicalIndex.save
        snapshots/<name>/documents/  the manifest: listing versions, text hashes, tokens
        snapshots/.<name>.partial/   a snapshot being written (removed by `clean_partial`)

A snapshot directory is written under a temporary name and renamed when complete (`stage`),
and `CURRENT` is switched only after that (`switch`), so a crash at any point leaves the old
snapshot live. Names are UTC timestamps, so name order is age order. Snapshots are a cache:
deleting them all loses nothing, the database rebuilds them.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.search.documents import Documents
from matching.index import IndexCorrupt, IndexMeta, VectorIndex, fsync_directory
from matching.lexical import LexicalIndex

CURRENT_FILE = "CURRENT"
SNAPSHOTS_DIR = "snapshots"
DOCUMENTS_DIR = "documents"
_PARTIAL = ".partial"


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
    return Snapshot(
        name=name, path=path, index=index, lexical=lexical, meta=meta, watermark=watermark_of(meta)
    )


def stage(
    index_dir: Path,
    index: VectorIndex,
    lexical: LexicalIndex,
    *,
    model_id: str,
    watermark: datetime | None,
    documents: Documents | None = None,
    on_written: Callable[[], None] | None = None,
) -> Snapshot:
    """Write a complete snapshot directory without making it live; return it.

    `on_written` runs when the files are written but not yet renamed into place (tests kill
    the writer there to leave a partial directory behind).
    """
    name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    root = index_dir / SNAPSHOTS_DIR
    staging = root / f".{name}{_PARTIAL}"
    final = root / name
    staging.mkdir(parents=True, exist_ok=False)
    try:
        meta = index.describe(
            model_id=model_id, watermark=watermark.isoformat() if watermark else None
        )
        index.save(staging / "vectors", meta)
        lexical.save(staging / "lexical")
        if documents is not None:
            documents.save(staging / DOCUMENTS_DIR)
        if on_written is not None:
            on_written()
        os.replace(staging, final)
        fsync_directory(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Snapshot(
        name=name, path=final, index=index, lexical=lexical, meta=meta, watermark=watermark
    )


def switch(index_dir: Path, name: str) -> None:
    """Make the complete snapshot `name` the live one, atomically."""
    if not (index_dir / SNAPSHOTS_DIR / name).is_dir():
        raise IndexCorrupt(f"no snapshot {name} in {index_dir / SNAPSHOTS_DIR}")
    pointer = index_dir / f".{CURRENT_FILE}.tmp"
    with open(pointer, "w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / CURRENT_FILE)
    fsync_directory(index_dir)


def names(index_dir: Path) -> list[str]:
    """Return the names of the complete snapshots, oldest first."""
    root = index_dir / SNAPSHOTS_DIR
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def watermark_of(meta: IndexMeta) -> datetime | None:
    """Return the watermark a sidecar records."""
    return datetime.fromisoformat(meta.watermark) if meta.watermark else None


def path_of(index_dir: Path, name: str) -> Path:
    """Return the directory of snapshot `name`."""
    return index_dir / SNAPSHOTS_DIR / name


def read_meta(index_dir: Path, name: str) -> IndexMeta:
    """Return the sidecar of snapshot `name` without loading its index.

    Raises:
        IndexCorrupt: the snapshot has no readable sidecar.
    """
    return VectorIndex.read_meta(path_of(index_dir, name) / "vectors")


def read_documents(index_dir: Path, name: str) -> Documents | None:
    """Return the manifest of snapshot `name`, or None when it has none or it is unreadable."""
    try:
        return Documents.load(path_of(index_dir, name) / DOCUMENTS_DIR)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None


def clean_partial(index_dir: Path) -> list[str]:
    """Delete what an interrupted writer left behind; return the names removed.

    Only safe while holding the re-index lock: a running writer's staging directory is partial
    too.
    """
    removed: list[str] = []
    root = index_dir / SNAPSHOTS_DIR
    if root.is_dir():
        for path in root.iterdir():
            if path.name.startswith(".") and path.name.endswith(_PARTIAL):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path.name)
    pointer = index_dir / f".{CURRENT_FILE}.tmp"
    if pointer.exists():
        pointer.unlink()
        removed.append(pointer.name)
    return removed


def prune(index_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` snapshots, never the live one; return what was deleted."""
    live = current_name(index_dir)
    kept = set(names(index_dir)[-keep:]) | ({live} if live else set())
    removed: list[Path] = []
    for name in names(index_dir):
        if name not in kept:
            path = path_of(index_dir, name)
            # Renamed first so that a crash mid-delete leaves a partial, not a damaged snapshot.
            doomed = path.with_name(f".{name}{_PARTIAL}")
            os.replace(path, doomed)
            shutil.rmtree(doomed, ignore_errors=True)
            removed.append(path)
    return removed
