"""A small thread-safe map that forgets its least recently used entries beyond a size."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """Values by key, made on a miss by the caller's function, the least recent dropped first.

    The function runs outside the lock: two threads missing the same key at once both make it,
    and the second value stored wins, which is harmless for values that depend on the key only.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: K, make: Callable[[], V], *, size: int | None = None) -> V:
        """Return the value of `key`, making and keeping it on a miss (`size`: this bound)."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
                return value
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > (self.size if size is None else size):
                self._values.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._values)
