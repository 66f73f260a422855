"""VectorIndex search, exact and HNSW, filtered and not, against numpy brute force."""

from __future__ import annotations

import numpy as np
import pytest

from matching.index import IndexKind, VectorIndex
from tests.matching.index.vectors import (
    KINDS,
    assert_same_hits,
    brute_force,
    build_index,
    recall_at,
    sparse_ids,
    unit_vectors,
)

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
