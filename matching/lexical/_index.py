"""LexicalIndex: a static bm25s main part, tombstones over it, and a Delta of upserts.

The contract is in the package docstring (``matching/lexical/__init__.py``).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt

from matching.cache import ArrayMemo
from matching.lexical._delta import BuildStats, Delta, Float32Array, IntArray, idf

# bm25s pins its logger at DEBUG, which reaches the root handlers whatever the app's level.
logging.getLogger("bm25s").setLevel(logging.WARNING)

_FORMAT = 1
_META_FILE = "lexical.json"
_ARRAYS_FILE = "lexical.npz"
_BM25S_DIR = "bm25s"


class LexicalIndex:
    """BM25 (Lucene variant) over token lists, keyed by integer ids (listing primary keys)."""

    def __init__(
        self,
        *,
        k1: float,
        b: float,
        retriever: bm25s.BM25 | None,
        main_ids: IntArray,
        alive: npt.NDArray[np.bool_],
        avgdl: float,
    ) -> None:
        self.k1 = k1
        self.b = b
        self._retriever = retriever
        self._vocab: dict[str, int] = retriever.vocab_dict if retriever is not None else {}
        self._frozen: BuildStats | None = None
        if retriever is not None:
            df = np.diff(retriever.scores["indptr"]).astype(np.int64)
            self._frozen = BuildStats(len(main_ids), avgdl, self._vocab, df)
        self._main_ids = main_ids  # sorted ascending: row order is id order
        self._alive = alive
        self._n_alive = int(alive.sum())
        self._delta = Delta(k1=k1, b=b, frozen=self._frozen)
        self._last_scores: tuple[tuple[int, ...], Float32Array] | None = None
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
        self._delta.put(doc_id, counts, len(tokens))

    def remove(self, doc_id: int) -> None:
        """Remove document `doc_id`; do nothing when it is absent."""
        row = self._main_row(doc_id)
        if row is not None and self._alive[row]:
            self._alive[row] = False
            self._n_alive -= 1
        self._delta.pop(doc_id)

    def search(
        self, query: Sequence[str], k: int, allowed: IntArray | None = None
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
        delta_ids, delta_scores = self._delta.matches(terms, allowed_ids)
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
        delta_ids, delta_scores = self._delta.scores(terms)
        for doc_id in result:
            if doc_id in self._delta:
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
            return self._frozen.idf(token)
        return self._delta.live_idf(token)

    def idf_at_share(self, share: float) -> float:
        """Return the idf of a term found in `share` (0..1) of the indexed documents."""
        n_docs = len(self)
        return idf(round(share * n_docs), n_docs)

    def __len__(self) -> int:
        return self._n_alive + len(self._delta)

    def __contains__(self, doc_id: object) -> bool:
        if not isinstance(doc_id, int | np.integer):
            return False
        if int(doc_id) in self._delta:
            return True
        row = self._main_row(int(doc_id))
        return row is not None and bool(self._alive[row])

    def save(self, directory: Path) -> None:
        """Write this index into `directory`, which holds one snapshot."""
        directory.mkdir(parents=True, exist_ok=True)
        if self._retriever is not None:
            self._retriever.save(directory / _BM25S_DIR, show_progress=False)
        np.savez(directory / _ARRAYS_FILE, main_ids=self._main_ids, alive=self._alive)
        delta = self._delta.documents()
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
            index._delta.put(int(doc_id), {str(t): int(tf) for t, tf in counts.items()}, length)
        return index

    def _main_row(self, doc_id: int) -> int | None:
        row = int(np.searchsorted(self._main_ids, doc_id))
        if row < len(self._main_ids) and self._main_ids[row] == doc_id:
            return row
        return None

    def _main_scores(self, terms: list[str]) -> Float32Array | None:
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
        scores: Float32Array = self._retriever.get_scores_from_ids(list(token_ids))
        self._last_scores = (token_ids, scores)
        return scores

    def _main_top(
        self, terms: list[str], k: int, allowed: IntArray | None
    ) -> tuple[IntArray, Float32Array]:
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

    def _mark_rows(self, allowed: IntArray) -> npt.NDArray[np.bool_]:
        """Return a mask of the main rows whose ids are in `allowed`."""
        # A binary search of each allowed id among the sorted main ids: O(allowed), where
        # looking each matching row up among the allowed ids cost O(rows) and np.isin sorted or
        # hashed all 100k ids on each query.
        at = np.searchsorted(self._main_ids, allowed).clip(max=len(self._main_ids) - 1)
        marked = np.zeros(len(self._main_ids), dtype=np.bool_)
        marked[at[self._main_ids[at] == allowed]] = True
        return marked
