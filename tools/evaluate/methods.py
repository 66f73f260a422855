"""The ranking methods compared on each retrieval task, and how their rankings are made."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matching.embedder import Vectors
from matching.index import VectorIndex
from matching.ranking import FusionMethod, fuse
from tools.evaluate.report import Row

DEPTH = 100  # each retriever's list handed to fusion, as the product's search does


Ranked = list[tuple[int, float]]


@dataclass(frozen=True)
class Method:
    """One way of ranking: a fusion mode of ranking.fuse and its parameters."""

    name: str
    fusion: FusionMethod
    lexical_weight: float = 1.0
    rrf_k: int = 60


METHODS: tuple[Method, ...] = (
    Method("bm25", "lexical"),
    Method("dense", "dense"),
    Method("hybrid (RRF k=60, w=1.0)", "hybrid", 1.0),
    Method("hybrid (RRF k=60, w=0.5)", "hybrid", 0.5),
)


def dense_rankings(index: VectorIndex, queries: Vectors, k: int) -> list[Ranked]:
    return [[(hit.id, hit.score) for hit in hits] for hits in index.search(queries, k)]


def fused_rankings(
    dense: Sequence[Ranked], lexical: Sequence[Ranked]
) -> dict[str, list[list[int]]]:
    """Return each method's ranking of every query."""
    return {
        m.name: [
            [
                c.id
                for c in fuse(d, s, method=m.fusion, rrf_k=m.rrf_k, lexical_weight=m.lexical_weight)
            ]
            for d, s in zip(dense, lexical, strict=True)
        ]
        for m in METHODS
    }


def mean_row(name: str, per_query: Sequence[tuple[float, ...]]) -> Row:
    return Row(name, tuple(float(v) for v in np.mean(np.array(per_query), axis=0)))
