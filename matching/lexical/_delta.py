"""The delta of a lexical index: documents upserted since the build, scored as BM25 in memory.

A delta document is scored with the statistics frozen at build time (``BuildStats``), so that
it scores exactly as it would have in the build; an index built without any token has no
statistics to freeze, and its delta is scored with the delta's own current statistics.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]


def idf(df: int, n_docs: int) -> float:
    """Return Lucene's BM25 idf of a token found in `df` of `n_docs` documents."""
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


@dataclass(frozen=True)
class Stats:
    """The collection statistics that every score uses."""

    n_docs: int
    avgdl: float


@dataclass(frozen=True)
class BuildStats(Stats):
    """The main part's statistics, frozen at build time, with each token's document frequency."""

    vocab: Mapping[str, int]
    df: IntArray

    def idf(self, token: str) -> float:
        """Return the idf of `token` in the main part (df 0 when the build never saw it)."""
        token_id = self.vocab.get(token)
        return idf(int(self.df[token_id]) if token_id is not None else 0, self.n_docs)


@dataclass(frozen=True)
class _DeltaDoc:
    """One delta document as columns of the delta vocabulary and their term frequencies."""

    cols: IntArray
    tfs: FloatArray
    length: int

    def counts(self, tokens: list[str]) -> dict[str, int]:
        """Return the term frequencies by token, given the delta vocabulary in column order."""
        return {tokens[col]: int(tf) for col, tf in zip(self.cols, self.tfs, strict=True)}


@dataclass(frozen=True)
class _DeltaMatrix:
    """The delta's term weights (idf·tfc, float32) in CSC form: one column per delta token."""

    ids: IntArray  # sorted; slot i holds document ids[i]
    indptr: IntArray
    slots: IntArray
    weights: Float32Array


class Delta:
    """Documents upserted since the build, by id, with a weight matrix compiled on demand."""

    def __init__(self, *, k1: float, b: float, frozen: BuildStats | None) -> None:
        self._k1 = k1
        self._b = b
        self._frozen = frozen
        self._vocab: dict[str, int] = {}
        self._idf: list[float] = []  # by delta column, under frozen statistics only
        self._docs: dict[int, _DeltaDoc] = {}
        self._matrix: _DeltaMatrix | None = None  # compiled lazily, dropped on change

    def put(self, doc_id: int, counts: dict[str, int], length: int) -> None:
        """Add or replace document `doc_id` from its term counts and its length in tokens."""
        cols = []
        for token in counts:
            col = self._vocab.get(token)
            if col is None:
                col = self._vocab[token] = len(self._vocab)
                if self._frozen is not None:
                    self._idf.append(self._frozen.idf(token))
            cols.append(col)
        self._docs[doc_id] = _DeltaDoc(
            cols=np.array(cols, dtype=np.int64),
            tfs=np.array(list(counts.values()), dtype=np.float64),
            length=length,
        )
        self._matrix = None

    def pop(self, doc_id: int) -> None:
        """Remove document `doc_id`; do nothing when it is absent."""
        if self._docs.pop(doc_id, None) is not None:
            self._matrix = None

    def documents(self) -> list[tuple[int, int, dict[str, int]]]:
        """Return each document as (id, length, term counts), as a snapshot stores them."""
        tokens = list(self._vocab)
        return [(doc_id, doc.length, doc.counts(tokens)) for doc_id, doc in self._docs.items()]

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._docs

    def live_idf(self, token: str) -> float:
        """Return the idf of `token` under the delta's own current statistics."""
        col = self._vocab.get(token)
        return idf(int(self._live_df()[col]) if col is not None else 0, len(self._docs))

    def matches(self, terms: list[str], allowed: IntArray | None) -> tuple[IntArray, Float32Array]:
        """Return the allowed, matching documents and their scores (without k1+1)."""
        ids, scores = self.scores(terms)
        keep = scores > 0
        if allowed is not None:
            keep &= np.isin(ids, allowed)
        return ids[keep], scores[keep]

    def scores(self, terms: list[str]) -> tuple[IntArray, Float32Array]:
        """Return every document's id and score (without k1+1), in id order."""
        matrix = self._compiled()
        if matrix is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = np.zeros(len(matrix.ids), dtype=np.float32)
        for term in terms:
            col = self._vocab.get(term)
            if col is not None:
                start, end = matrix.indptr[col], matrix.indptr[col + 1]
                # float32 sums in query order, as bm25s sums main scores.
                scores[matrix.slots[start:end]] += matrix.weights[start:end]
        return matrix.ids, scores

    def _compiled(self) -> _DeltaMatrix | None:
        """Return the weight matrix, compiling it after any change."""
        if self._matrix is not None or not self._docs:
            return self._matrix
        ids = np.array(sorted(self._docs), dtype=np.int64)
        docs = [self._docs[int(doc_id)] for doc_id in ids]
        cols = np.concatenate([doc.cols for doc in docs])
        tfs = np.concatenate([doc.tfs for doc in docs])
        lengths = np.array([doc.length for doc in docs], dtype=np.int64)
        slots = np.repeat(np.arange(len(docs), dtype=np.int64), [len(d.cols) for d in docs])
        # A float32 idf from math.log, then the same operations in the same order as bm25s, so
        # that a delta document scores bit for bit like its twin in the main part.
        stats: Stats
        if self._frozen is not None:
            stats = self._frozen
            idfs = np.array(self._idf, dtype=np.float32)
        else:
            stats = Stats(len(docs), float(lengths.mean()))
            live_df = self._live_df().tolist()
            idfs = np.array([idf(df, stats.n_docs) for df in live_df], dtype=np.float32)
        # avgdl is 0 only when no delta document has a token, and then no norm is ever used.
        norm = self._k1 * ((1 - self._b) + self._b * lengths / (stats.avgdl or 1.0))
        weights = (idfs[cols] * (tfs / (norm[slots] + tfs))).astype(np.float32)
        order = np.argsort(cols)
        indptr = np.zeros(len(self._vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(cols, minlength=len(self._vocab)), out=indptr[1:])
        self._matrix = _DeltaMatrix(ids, indptr, slots[order], weights[order])
        return self._matrix

    def _live_df(self) -> IntArray:
        """Return the delta's own document frequency of each delta token."""
        cols = [doc.cols for doc in self._docs.values()]
        flat = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        return np.bincount(flat, minlength=len(self._vocab)).astype(np.int64)
