"""Snapshot files of the vector index: atomic writes, fsync, the meta.json sidecar, checks."""

from __future__ import annotations

import errno
import io
import json
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import faiss
import numpy as np

from matching.index._arrays import EMPTY_IDS
from matching.index._types import (
    DELTA_FILE,
    FORMAT_VERSION,
    MAIN_FILE,
    META_FILE,
    TOMBSTONES_FILE,
    Ids,
    IndexCorrupt,
    IndexMeta,
    IndexMismatch,
)

_T = TypeVar("_T")


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


def fsync_directory(directory: Path) -> None:
    """Flush a directory's entries to disk, so that the renames made in it are durable."""
    # A rename is durable only once the directory entry itself is flushed.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_sidecar(directory: Path) -> tuple[IndexMeta, dict[str, int]]:
    """Return a snapshot's checked meta.json: its IndexMeta and the file sizes it records."""
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


def write_snapshot(
    directory: Path, meta: IndexMeta, *, main: Any, delta: Any, tombstones: Ids
) -> None:
    """Write the FAISS parts and tombstones, then meta.json, into directory, durably."""
    directory.mkdir(parents=True, exist_ok=True)
    # Drop the old sidecar first: until the new one lands, the directory must read as
    # incomplete rather than pair an old meta.json with new FAISS files.
    (directory / META_FILE).unlink(missing_ok=True)
    files = {MAIN_FILE: _write_atomic(directory / MAIN_FILE, _faiss_writer(main))}
    if delta is not None and delta.ntotal:
        files[DELTA_FILE] = _write_atomic(directory / DELTA_FILE, _faiss_writer(delta))
    if tombstones.size:
        buffer = io.BytesIO()
        np.save(buffer, tombstones, allow_pickle=False)
        files[TOMBSTONES_FILE] = _write_atomic(
            directory / TOMBSTONES_FILE, lambda path: path.write_bytes(buffer.getvalue())
        )
    for stale in (DELTA_FILE, TOMBSTONES_FILE):
        if stale not in files:
            (directory / stale).unlink(missing_ok=True)
    document = {"format_version": FORMAT_VERSION, **asdict(meta), "files": files}
    text = json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
    _write_atomic(directory / META_FILE, lambda path: path.write_bytes(text))
    fsync_directory(directory)


def read_snapshot(
    directory: Path, *, model_id: str, dimension: int
) -> tuple[IndexMeta, Any, Any, Ids]:
    """Read a checked snapshot: its sidecar, main part, delta (or None) and tombstones."""
    if not directory.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no index snapshot directory", str(directory))
    meta, files = read_sidecar(directory)
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
    tombstones = EMPTY_IDS
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
    return meta, main, delta, tombstones
