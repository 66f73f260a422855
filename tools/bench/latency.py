"""Latency statistics: a percentile, and the count, p50, p95, p99 and mean of a series."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Stats:
    """Latencies in milliseconds."""

    n: int
    p50: float
    p95: float
    p99: float
    mean: float


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0-100), linear between closest ranks as numpy does."""
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be between 0 and 100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def stats(milliseconds: Sequence[float]) -> Stats:
    """Return the count, p50, p95, p99 and mean of latencies."""
    if not milliseconds:
        return Stats(n=0, p50=math.nan, p95=math.nan, p99=math.nan, mean=math.nan)
    return Stats(
        n=len(milliseconds),
        p50=round(percentile(milliseconds, 50), 3),
        p95=round(percentile(milliseconds, 95), 3),
        p99=round(percentile(milliseconds, 99), 3),
        mean=round(statistics.fmean(milliseconds), 3),
    )
