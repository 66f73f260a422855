"""What every task works with: embeddings cached per run, the tokenizer, progress output."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.core.progress import progress_bar
from matching.embedder import Embedder, Vectors
from matching.text import Tokenizer
from tools.progress import say

_EMBED_CHUNK = 64


class Output:
    """Stage lines and progress bars on stderr, or nothing at all."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled

    def log(self, message: str) -> None:
        """Print a timestamped stage line, when enabled."""
        if self._enabled:
            say(message, who="evaluate")

    @contextmanager
    def bar(self, description: str, total: int) -> Iterator[Callable[[int], object]]:
        """Yield a function that records progress: a bar on a terminal, tenths in a log."""
        if not self._enabled:
            yield lambda done: None
            return
        if sys.stderr.isatty():
            with progress_bar(total, enabled=True, desc=description, unit="text") as advance:
                yield advance
            return
        # A log file gets a line per tenth instead of a bar that only shows when done.
        state = {"done": 0, "tenths": 0}

        def advance_log(done: int) -> None:
            state["done"] += done
            tenths = state["done"] * 10 // max(total, 1)
            if tenths > state["tenths"]:
                state["tenths"] = tenths
                self.log(f"{description}: {state['done']:,} / {total:,}")

        yield advance_log


class Embeddings:
    """Embeds each distinct text once per role per run, and keeps the time the model took."""

    def __init__(self, embedder: Embedder, out: Output) -> None:
        self._embedder = embedder
        self._out = out
        self._cache: dict[bool, dict[str, npt.NDArray[np.float32]]] = {True: {}, False: {}}
        self.seconds = 0.0

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._get(texts, query=True)

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._get(texts, query=False)

    def _get(self, texts: Sequence[str], *, query: bool) -> Vectors:
        cache = self._cache[query]
        # By length, so that each batch holds texts of similar length (less padding); then by
        # text, so that batches, and so the last bits of the vectors, are the same every run.
        missing = sorted({t for t in texts if t not in cache}, key=lambda t: (len(t), t))
        if missing:
            embed = self._embedder.embed_queries if query else self._embedder.embed_passages
            role = "queries" if query else "passages"
            start = time.perf_counter()
            with self._out.bar(f"embedding {len(missing):,} {role}", len(missing)) as advance:
                for offset in range(0, len(missing), _EMBED_CHUNK):
                    chunk = missing[offset : offset + _EMBED_CHUNK]
                    cache.update(zip(chunk, embed(chunk), strict=True))
                    advance(len(chunk))
            self.seconds += time.perf_counter() - start
        if not texts:
            return np.zeros((0, self._embedder.dimension), dtype=np.float32)
        return np.stack([cache[text] for text in texts])


@dataclass(frozen=True)
class Tools:
    embeddings: Embeddings
    tokenizer: Tokenizer
    out: Output
