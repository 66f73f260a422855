"""Ranking metrics at a cutoff (nDCG, MRR, recall, precision) and Spearman's correlation."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

CUTOFF = 10


def ndcg_at_k(ranking: Sequence[int], gains: Mapping[int, float], k: int = CUTOFF) -> float:
    """Return nDCG@k with linear gains; 0.0 when no document has a positive gain."""
    ideal = sorted((gain for gain in gains.values() if gain > 0), reverse=True)[:k]
    best = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
    if best == 0:
        return 0.0
    found = sum(gains.get(doc, 0.0) / math.log2(rank + 2) for rank, doc in enumerate(ranking[:k]))
    return found / best


def mrr_at_k(ranking: Sequence[int], relevant: Collection[int], k: int = CUTOFF) -> float:
    """Return 1 / rank of the first relevant document within the top k, else 0.0."""
    for rank, doc in enumerate(ranking[:k], start=1):
        if doc in relevant:
            return 1.0 / rank
    return 0.0


def recall_at_k(ranking: Sequence[int], relevant: Collection[int], k: int) -> float:
    """Return the share of the relevant documents found within the top k."""
    if not relevant:
        return 0.0
    return sum(doc in relevant for doc in ranking[:k]) / len(relevant)


def precision_at_k(ranking: Sequence[int], relevant: Collection[int], k: int = CUTOFF) -> float:
    """Return the share of the k places that hold a relevant document (missing places miss)."""
    return sum(doc in relevant for doc in ranking[:k]) / k


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Return Spearman's rank correlation of two equally long series."""
    from scipy.stats import spearmanr  # type: ignore[import-untyped]

    return float(spearmanr(x, y).statistic)
