"""Small thread-safe caches: a bounded LRU map, and values derived from read-only arrays."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """Values by key, made on a miss by the caller's function, the least recent dropped first.

    A user owns its invalidation: either every key holds all its value is made of, or the user
    calls `clear` when that changes (docs/caches.md lists each user and its rule).
    The function runs outside the lock: two threads missing the same key at once both make it,
    and the second value stored wins, which is harmless for values that depend on the key only.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: K, make: Callable[[], V], *, size: int | None = None) -> V:
        """Return the value of `key`, making and keeping it on a miss (`size`: this bound)."""
        value = self.get(key)
        if value is not None:
            return value
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > (self.size if size is None else size):
                self._values.popitem(last=False)
        return value

    def get(self, key: K) -> V | None:
        """Return the value of `key` if it is kept (as the most recent), else None."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)


class ArrayMemo(Generic[V]):
    """Values derived from read-only arrays, kept while the same array object comes back.

    A catalogue hands its indexes one read-only array per filter until its listings change,
    so what an index derives from that array (its rows, its vectors) can be kept and reused.
    An entry holds the array itself, so no other array can take over its `id` while the
    entry lives. `stamp` names the state of the deriving object (bump it on every change);
    a writable array is never memoised, as its contents could change under the same object.
    """

    def __init__(self, size: int) -> None:
        self._cache: BoundedCache[tuple[int, int], tuple[object, V]] = BoundedCache(size)

    def get_or_make(self, array: np.ndarray, stamp: int, make: Callable[[], V]) -> V:
        """Return `make()` for `array` as of `stamp`, made once per array and stamp."""
        if array.flags.writeable:
            return make()
        return self._cache.get_or_make((id(array), stamp), lambda: (array, make()))[1]
