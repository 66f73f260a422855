"""VectorIndex upserts and removals, flat in place and hnsw through delta and tombstones."""

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
