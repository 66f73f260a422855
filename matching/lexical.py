"""BM25 over token lists, keyed by listing ids, with incremental updates between rebuilds.

Contract:

- `LexicalIndex.build(ids, docs, k1=1.2, b=0.75)` indexes documents (token lists from
  `matching.text.Tokenizer.tokens`) with bm25s. That *main part* is static.
- `upsert(doc_id, tokens)` and `remove(doc_id)` change the index without a rebuild. A replaced
  or removed main document is masked out (a tombstone); an added or replaced one goes to a small
  in-memory *delta*. Rebuild periodically to fold the delta into the main part.
- `search(query, k, allowed)` returns the `k` best ``(id, score)`` pairs, best first, ties by
  smaller id, only documents scoring above zero.

    Args:
        query: query tokens; each distinct token counts once (BM25 with k3 = 0), so a long
            demand that repeats a word does not drown its other words.
        k: the number of results wanted; fewer come back when fewer documents match.
        allowed: ids that may be returned (a filter applied before the top-k cut, so a page is
            full whenever `k` allowed documents match), or None for all.
    Returns:
        ``[(id, score), ...]`` sorted by descending score, then ascending id.

- `scores_for(query, ids)` returns the BM25 score of given documents (0.0 when they do not
  match or are not indexed), for explanations and fusion of candidates found elsewhere.
- `save(directory)` / `load(directory, mmap=False)` write and read one snapshot per directory.
  With ``mmap=True`` the posting arrays stay on disk and are shared through the page cache by
  every process that maps them; the snapshot must then never be rewritten in place.

Cost: a search reads the postings of the query tokens (bm25s's precomputed idf·tfc weights)
and makes O(N) numpy passes for masking and top-k; about 4 ms for a 40-token query over 100k
documents of 150 tokens. The first search after a write recompiles the delta (O(delta postings)).

The score is the classic BM25 with Lucene's idf, summed over the distinct query tokens:

    score(t) = idf(t) · tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl))
    idf(t)   = ln(1 + (N − df + 0.5) / (df + 0.5))

bm25s's "lucene" method omits the constant factor (k1+1), as Lucene itself has since 8.0; it
is restored here so that scores equal the textbook formula (rankings are unchanged).

Approximation: the delta is scored with the statistics frozen at build time (N, avgdl and each
token's df in the main part), not with statistics that include the delta or exclude tombstones.
That keeps delta and main scores comparable (an upserted document scores exactly as it would
have in the build) and makes updates O(document length); the drift is removed by the next
rebuild. A token absent from the build has df = 0. An index built without any token has no
statistics to freeze, so it scores its delta with the delta's own current statistics.

Not thread-safe: serialise writers, or swap whole instances.
"""

from __future__ import annotations

import json
import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt

from matching.cache import ArrayMemo

# bm25s pins its logger at DEBUG, which reaches the root handlers whatever the app's level.
logging.getLogger("bm25s").setLevel(logging.WARNING)

_FORMAT = 1
_META_FILE = "lexical.json"
_ARRAYS_FILE = "lexical.npz"
_BM25S_DIR = "bm25s"

_IntArray = npt.NDArray[np.int64]
_FloatArray = npt.NDArray[np.float64]
_Float32Array = npt.NDArray[np.float32]


@dataclass(frozen=True)
class _Stats:
    """The collection statistics that every score uses."""

    n_docs: int
    avgdl: float


@dataclass(frozen=True)
class _DeltaDoc:
    """One delta document as columns of the delta vocabulary and their term frequencies."""

    cols: _IntArray
    tfs: _FloatArray
    length: int

    def counts(self, tokens: list[str]) -> dict[str, int]:
        """Return the term frequencies by token, given the delta vocabulary in column order."""
        return {tokens[col]: int(tf) for col, tf in zip(self.cols, self.tfs, strict=True)}


@dataclass(frozen=True)
class _DeltaMatrix:
    """The delta's term weights (idf·tfc, float32) in CSC form: one column per delta token."""

    ids: _IntArray  # sorted; slot i holds document ids[i]
    indptr: _IntArray
    slots: _IntArray
    weights: _Float32Array


class LexicalIndex:
    """BM25 (Lucene variant) over token lists, keyed by integer ids (listing primary keys)."""

    def __init__(
        self,
        *,
        k1: float,
        b: float,
        retriever: bm25s.BM25 | None,
        main_ids: _IntArray,
        alive: npt.NDArray[np.bool_],
        avgdl: float,
    ) -> None:
        self.k1 = k1
        self.b = b
        self._retriever = retriever
        self._vocab: dict[str, int] = retriever.vocab_dict if retriever is not None else {}
        self._df: _IntArray = (
            np.diff(retriever.scores["indptr"]).astype(np.int64)
            if retriever is not None
            else np.zeros(0, dtype=np.int64)
        )
        self._main_ids = main_ids  # sorted ascending: row order is id order
        self._alive = alive
        self._n_alive = int(alive.sum())
        self._frozen = _Stats(len(main_ids), avgdl) if retriever is not None else None
        self._delta_vocab: dict[str, int] = {}
        self._delta_idf: list[float] = []  # by delta column, under frozen statistics only
        self._delta_docs: dict[int, _DeltaDoc] = {}
        self._delta_matrix: _DeltaMatrix | None = None  # compiled lazily, dropped on change
        self._last_scores: tuple[tuple[int, ...], _Float32Array] | None = None
        # The main rows of an allowed set: the main ids never change, so a read-only allowed
        # array (a catalogue's filter, kept until its listings change) maps to the same rows.
        self._allowed_rows: ArrayMemo[npt.NDArray[np.bool_]] = ArrayMemo(4)

    @classmethod
    def build(
        cls,
        ids: Sequence[int],
        docs: Sequence[Sequence[str]],
        *,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> LexicalIndex:
        """Index `docs` (token lists) under `ids`, which must be unique."""
        if len(ids) != len(docs):
            raise ValueError(f"{len(ids)} ids for {len(docs)} documents")
        main_ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if len(np.unique(main_ids)) != len(main_ids):
            raise ValueError("document ids must be unique")
        order = np.argsort(main_ids, kind="stable")
        # Our own vocabulary (bm25s would number tokens in set order, which varies by run); a
        # defaultdict numbering each new token by the vocabulary size keeps hits in C.
        numbering: defaultdict[str, int] = defaultdict()
        numbering.default_factory = numbering.__len__
        corpus = [[numbering[token] for token in docs[i]] for i in order]
        vocab = dict(numbering)
        retriever = None
        avgdl = 0.0
        if vocab:
            # The same expression as bm25s, so that delta scores reproduce main scores exactly.
            avgdl = float(np.array([len(doc) for doc in corpus]).mean())
            retriever = bm25s.BM25(k1=k1, b=b, method="lucene")
            retriever.index((corpus, vocab), create_empty_token=False, show_progress=False)
        return cls(
            k1=k1,
            b=b,
            retriever=retriever,
            main_ids=main_ids[order],
            alive=np.ones(len(main_ids), dtype=np.bool_),
            avgdl=avgdl,
        )

    def upsert(self, doc_id: int, tokens: Sequence[str]) -> None:
        """Add document `doc_id`, or replace its tokens."""
        counts: dict[str, int] = {}
        for token in tokens:
            counts[token] = counts.get(token, 0) + 1
        self.remove(doc_id)
        self._put_delta(doc_id, counts, len(tokens))

    def remove(self, doc_id: int) -> None:
        """Remove document `doc_id`; do nothing when it is absent."""
        row = self._main_row(doc_id)
        if row is not None and self._alive[row]:
            self._alive[row] = False
            self._n_alive -= 1
        if self._delta_docs.pop(doc_id, None) is not None:
            self._delta_matrix = None

    def search(
        self, query: Sequence[str], k: int, allowed: _IntArray | None = None
    ) -> list[tuple[int, float]]:
        """Return the `k` best-scoring ``(id, score)`` pairs among `allowed` ids, best first."""
        terms = list(dict.fromkeys(query))
        if not terms or k <= 0:
            return []
        # The caller's array itself when it is already flat int64, so that a kept filter's
        # rows are found again (see _allowed_rows).
        allowed_ids = None if allowed is None else np.asarray(allowed, dtype=np.int64)
        if allowed_ids is not None and allowed_ids.ndim != 1:
            allowed_ids = allowed_ids.ravel()
        main_ids, main_scores = self._main_top(terms, k, allowed_ids)
        delta_ids, delta_scores = self._delta_matches(terms, allowed_ids)
        ids = np.concatenate([main_ids, delta_ids])
        scores = np.concatenate([main_scores, delta_scores]).astype(np.float64) * (self.k1 + 1)
        order = np.lexsort((ids, -scores))[:k]
        return [(int(ids[i]), float(scores[i])) for i in order]

    def scores_for(self, query: Sequence[str], ids: Sequence[int]) -> dict[int, float]:
        """Return the BM25 score of each of `ids` for `query`, 0.0 when it does not match."""
        terms = list(dict.fromkeys(query))
        result = dict.fromkeys((int(doc_id) for doc_id in ids), 0.0)
        if not terms:
            return result
        main_scores = self._main_scores(terms)
        delta_ids, delta_scores = self._delta_scores(terms)
        for doc_id in result:
            if doc_id in self._delta_docs:
                score = delta_scores[np.searchsorted(delta_ids, doc_id)]
            else:
                row = self._main_row(doc_id)
                if main_scores is None or row is None or not self._alive[row]:
                    continue
                score = main_scores[row]
            result[doc_id] = float(score) * (self.k1 + 1)
        return result

    def idf(self, token: str) -> float:
        """Return the idf of `token` under the statistics that scores use."""
        if self._frozen is not None:
            token_id = self._vocab.get(token)
            df = int(self._df[token_id]) if token_id is not None else 0
            return _idf(df, self._frozen.n_docs)
        col = self._delta_vocab.get(token)
        live_df = self._live_df()
        return _idf(int(live_df[col]) if col is not None else 0, len(self._delta_docs))

    def idf_at_share(self, share: float) -> float:
        """Return the idf of a term found in `share` (0..1) of the indexed documents."""
        n_docs = len(self)
        return _idf(round(share * n_docs), n_docs)

    def __len__(self) -> int:
        return self._n_alive + len(self._delta_docs)

    def __contains__(self, doc_id: object) -> bool:
        if not isinstance(doc_id, int | np.integer):
            return False
        if int(doc_id) in self._delta_docs:
            return True
        row = self._main_row(int(doc_id))
        return row is not None and bool(self._alive[row])

    def save(self, directory: Path) -> None:
        """Write this index into `directory`, which holds one snapshot."""
        directory.mkdir(parents=True, exist_ok=True)
        if self._retriever is not None:
            self._retriever.save(directory / _BM25S_DIR, show_progress=False)
        np.savez(directory / _ARRAYS_FILE, main_ids=self._main_ids, alive=self._alive)
        tokens = list(self._delta_vocab)
        delta = [[id_, doc.length, doc.counts(tokens)] for id_, doc in self._delta_docs.items()]
        meta = {
            "format": _FORMAT,
            "k1": self.k1,
            "b": self.b,
            "avgdl": self._frozen.avgdl if self._frozen is not None else 0.0,
            "has_main": self._retriever is not None,
            "delta": delta,
        }
        (directory / _META_FILE).write_text(json.dumps(meta, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, directory: Path, *, mmap: bool = False) -> LexicalIndex:
        """Read an index written by `save` from `directory`, optionally memory-mapped."""
        meta = json.loads((directory / _META_FILE).read_text("utf-8"))
        if meta.get("format") != _FORMAT:
            raise ValueError(
                f"{directory} holds lexical index format {meta.get('format')!r}, "
                f"this code reads format {_FORMAT}; rebuild the index"
            )
        retriever = None
        if meta["has_main"]:
            retriever = bm25s.BM25.load(directory / _BM25S_DIR, mmap=mmap, show_progress=False)
        with np.load(directory / _ARRAYS_FILE) as arrays:
            main_ids = arrays["main_ids"].astype(np.int64)
            alive = arrays["alive"].astype(np.bool_)
        index = cls(
            k1=float(meta["k1"]),
            b=float(meta["b"]),
            retriever=retriever,
            main_ids=main_ids,
            alive=alive,
            avgdl=float(meta["avgdl"]),
        )
        for doc_id, length, counts in meta["delta"]:
            index._put_delta(int(doc_id), {str(t): int(tf) for t, tf in counts.items()}, length)
        return index

    def _main_row(self, doc_id: int) -> int | None:
        row = int(np.searchsorted(self._main_ids, doc_id))
        if row < len(self._main_ids) and self._main_ids[row] == doc_id:
            return row
        return None

    def _main_scores(self, terms: list[str]) -> _Float32Array | None:
        """Return bm25s's score of every main row (without the k1+1 factor), or None."""
        token_ids = tuple(self._vocab[term] for term in terms if term in self._vocab)
        if self._retriever is None or not token_ids:
            return None
        # The main part never changes, so neither do its scores for a query: a ranking asks
        # for them twice (the top k, then the scores of what the dense side found), 2 ms each
        # at 100k. One entry, replaced whole, so concurrent readers see one or the other.
        last = self._last_scores
        if last is not None and last[0] == token_ids:
            return last[1]
        scores: _Float32Array = self._retriever.get_scores_from_ids(list(token_ids))
        self._last_scores = (token_ids, scores)
        return scores

    def _main_top(
        self, terms: list[str], k: int, allowed: _IntArray | None
    ) -> tuple[_IntArray, _Float32Array]:
        """Return the main part's live, allowed, matching rows that can make the top k."""
        scores = self._main_scores(terms)
        if scores is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        matching = (scores > 0) & self._alive
        if allowed is not None:
            matching &= self._allowed_rows.get_or_make(allowed, 0, lambda: self._mark_rows(allowed))
        rows = np.flatnonzero(matching)
        candidate = scores[rows]
        if len(rows) > k:
            # Keep every row tied with the k-th score, so the final id tie-break is exact.
            kth = np.partition(candidate, len(candidate) - k)[len(candidate) - k]
            top = candidate >= kth
            rows, candidate = rows[top], candidate[top]
        return self._main_ids[rows], candidate

    def _mark_rows(self, allowed: _IntArray) -> npt.NDArray[np.bool_]:
        """Return a mask of the main rows whose ids are in `allowed`."""
        # A binary search of each allowed id among the sorted main ids: O(allowed), where
        # looking each matching row up among the allowed ids cost O(rows) and np.isin sorted or
        # hashed all 100k ids on each query.
        at = np.searchsorted(self._main_ids, allowed).clip(max=len(self._main_ids) - 1)
        marked = np.zeros(len(self._main_ids), dtype=np.bool_)
        marked[at[self._main_ids[at] == allowed]] = True
        return marked

    def _delta_matches(
        self, terms: list[str], allowed: _IntArray | None
    ) -> tuple[_IntArray, _Float32Array]:
        """Return the delta's allowed, matching documents and their scores."""
        ids, scores = self._delta_scores(terms)
        keep = scores > 0
        if allowed is not None:
            keep &= np.isin(ids, allowed)
        return ids[keep], scores[keep]

    def _delta_scores(self, terms: list[str]) -> tuple[_IntArray, _Float32Array]:
        """Return every delta document's id and score (without k1+1), in id order."""
        matrix = self._compiled_delta()
        if matrix is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = np.zeros(len(matrix.ids), dtype=np.float32)
        for term in terms:
            col = self._delta_vocab.get(term)
            if col is not None:
                start, end = matrix.indptr[col], matrix.indptr[col + 1]
                # float32 sums in query order, as bm25s sums main scores.
                scores[matrix.slots[start:end]] += matrix.weights[start:end]
        return matrix.ids, scores

    def _put_delta(self, doc_id: int, counts: dict[str, int], length: int) -> None:
        cols = []
        for token in counts:
            col = self._delta_vocab.get(token)
            if col is None:
                col = self._delta_vocab[token] = len(self._delta_vocab)
                if self._frozen is not None:
                    self._delta_idf.append(self.idf(token))
            cols.append(col)
        self._delta_docs[doc_id] = _DeltaDoc(
            cols=np.array(cols, dtype=np.int64),
            tfs=np.array(list(counts.values()), dtype=np.float64),
            length=length,
        )
        self._delta_matrix = None

    def _compiled_delta(self) -> _DeltaMatrix | None:
        """Return the delta's weight matrix, compiling it after any change."""
        if self._delta_matrix is not None or not self._delta_docs:
            return self._delta_matrix
        ids = np.array(sorted(self._delta_docs), dtype=np.int64)
        docs = [self._delta_docs[int(doc_id)] for doc_id in ids]
        cols = np.concatenate([doc.cols for doc in docs])
        tfs = np.concatenate([doc.tfs for doc in docs])
        lengths = np.array([doc.length for doc in docs], dtype=np.int64)
        slots = np.repeat(np.arange(len(docs), dtype=np.int64), [len(d.cols) for d in docs])
        # A float32 idf from math.log, then the same operations in the same order as bm25s, so
        # that a delta document scores bit for bit like its twin in the main part.
        if self._frozen is not None:
            stats = self._frozen
            idf = np.array(self._delta_idf, dtype=np.float32)
        else:
            stats = _Stats(len(docs), float(lengths.mean()))
            live_df = self._live_df().tolist()
            idf = np.array([_idf(df, stats.n_docs) for df in live_df], dtype=np.float32)
        # avgdl is 0 only when no delta document has a token, and then no norm is ever used.
        norm = self.k1 * ((1 - self.b) + self.b * lengths / (stats.avgdl or 1.0))
        weights = (idf[cols] * (tfs / (norm[slots] + tfs))).astype(np.float32)
        order = np.argsort(cols)
        indptr = np.zeros(len(self._delta_vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(cols, minlength=len(self._delta_vocab)), out=indptr[1:])
        self._delta_matrix = _DeltaMatrix(ids, indptr, slots[order], weights[order])
        return self._delta_matrix

    def _live_df(self) -> _IntArray:
        """Return the delta's own document frequency of each delta token."""
        cols = [doc.cols for doc in self._delta_docs.values()]
        flat = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        return np.bincount(flat, minlength=len(self._delta_vocab)).astype(np.int64)


def _idf(df: int, n_docs: int) -> float:
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
