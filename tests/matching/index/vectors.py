"""Tiny seeded random unit vectors, numpy brute force, and comparisons of hit lists."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from matching.index import Hit, IndexKind, VectorIndex

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
