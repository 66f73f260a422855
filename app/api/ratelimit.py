"""Per-key request rate limits: one token bucket per API key, in this process's memory.

Each process keeps its own buckets, so with N worker processes (or N replicas) a key may make
up to N times the configured rate; that is the price of needing no shared store, and the
README says so. A bucket costs one dictionary lookup and a little arithmetic under a lock.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.core.errors import TooManyRequests
from app.core.i18n import tr


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets keyed by API key id: `rate` tokens per second, at most `burst` saved up."""

    def __init__(
        self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[int, _Bucket] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Return whether the limiter limits anything (a rate of 0 turns it off)."""
        return self.rate > 0

    def take(self, key_id: int) -> None:
        """Spend one token of `key_id`'s bucket, or raise TooManyRequests with a retry delay."""
        if not self.enabled:
            return
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key_id)
            if bucket is None:
                bucket = self._buckets[key_id] = _Bucket(tokens=float(self.burst), stamp=now)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return
            wait = (1.0 - bucket.tokens) / self.rate
        raise TooManyRequests(
            tr(
                "这个 API 密钥的请求太频繁：上限为每秒 {rate:g} 次，瞬时最多 {burst} 次；"
                "请在 {wait:.1f} 秒后重试",
                "too many requests for this API key: the limit is {rate:g} per second "
                "with bursts of {burst}; retry in {wait:.1f} s",
                rate=self.rate,
                burst=self.burst,
                wait=wait,
            ),
            retry_after=max(1, math.ceil(wait)),
        )
