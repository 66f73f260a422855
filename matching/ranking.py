"""Fusion of dense and lexical rankings, classification fit, and explanations.

Contract:

    fuse(dense, lexical, *, method, rrf_k, lexical_weight) -> list[Candidate]
        dense and lexical are ranked (id, score) lists, best first. `method` "hybrid" merges
        them by reciprocal rank fusion; "dense" and "lexical" keep one ranking (the other's
        score is still attached where known, for explanations).
    classification_fit(query_industry, listing_industry) -> float | None
    explain(query_terms, text, sentences, weight, *, min_weight) -> Explanation

Reciprocal rank fusion is used rather than adding scores because cosine similarities and BM25
scores live on unrelated scales that change with the query; ranks do not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

FusionMethod = Literal["hybrid", "dense", "lexical"]

_LATIN = re.compile(r"[a-z0-9]{2,}")


@dataclass(frozen=True)
class Candidate:
    """One fused result with the evidence behind its place."""

    id: int
    score: float
    semantic: float | None
    lexical: float | None
    semantic_rank: int | None
    lexical_rank: int | None


def fuse(
    dense: Sequence[tuple[int, float]],
    lexical: Sequence[tuple[int, float]],
    *,
    method: FusionMethod = "hybrid",
    rrf_k: int = 60,
    lexical_weight: float = 1.0,
    start: int = 0,
    stop: int | None = None,
) -> list[Candidate]:
    """Merge two rankings into one, best first; ties go to the smaller id.

    Args:
        dense: (id, cosine similarity) best first.
        lexical: (id, BM25 score) best first.
        method: "hybrid" (reciprocal rank fusion), "dense" or "lexical".
        rrf_k: the fusion constant; larger flattens the advantage of the top ranks.
        lexical_weight: weight of the lexical ranking relative to the dense one (1.0).
        start, stop: the slice of the fused ranking to return (a page); the whole by default.

    Returns:
        Candidates with `score` = the fused score (for "dense"/"lexical", that ranking's own
        score), normalised so that the best possible hybrid score is 1.0.
    """
    semantic = {doc: (rank, score) for rank, (doc, score) in enumerate(dense, start=1)}
    lexical_of = {doc: (rank, score) for rank, (doc, score) in enumerate(lexical, start=1)}
    if method == "dense":
        order = [doc for doc, _ in dense]
        scores = dict(dense)
    elif method == "lexical":
        order = [doc for doc, _ in lexical]
        scores = dict(lexical)
    else:
        best = (1.0 + lexical_weight) / (rrf_k + 1)
        scores = {}
        for doc, (rank, _) in semantic.items():
            scores[doc] = 1.0 / (rrf_k + rank)
        for doc, (rank, _) in lexical_of.items():
            scores[doc] = scores.get(doc, 0.0) + lexical_weight / (rrf_k + rank)
        scores = {doc: value / best for doc, value in scores.items()}
        order = sorted(scores, key=lambda doc: (-scores[doc], doc))
    return [
        Candidate(
            id=doc,
            score=scores[doc],
            semantic=semantic[doc][1] if doc in semantic else None,
            lexical=lexical_of[doc][1] if doc in lexical_of else None,
            semantic_rank=semantic[doc][0] if doc in semantic else None,
            lexical_rank=lexical_of[doc][0] if doc in lexical_of else None,
        )
        for doc in order[start:stop]
    ]


def classification_fit(query_industry: str | None, listing_industry: str | None) -> float | None:
    """Return 1.0 for the same GB/T 4754 division, 0.5 for the same section, 0.0 otherwise.

    None when either side has no industry: no evidence either way.
    """
    if not query_industry or not listing_industry:
        return None
    if query_industry == listing_industry:
        return 1.0
    if len(query_industry) == 1 or len(listing_industry) == 1:
        return 1.0 if query_industry[0] == listing_industry[0] else 0.0
    return 0.5 if query_industry[0] == listing_industry[0] else 0.0


@dataclass(frozen=True)
class Explanation:
    """Why a listing came up: the query's terms it contains and its best-matching sentence."""

    terms_found: list[str]
    best_sentence: str | None


@lru_cache(maxsize=64)
def _query_units(text: str) -> frozenset[str]:
    # A page explains ten listings against one query: its units are made once.
    return frozenset(_units(text))


def _units(text: str) -> set[str]:
    # CJK character pairs and Latin words: enough overlap signal to pick a sentence when the
    # query shares no whole term with the listing (a paraphrase, found by the dense side).
    lowered = text.lower()
    cjk = [c for c in lowered if "\u3400" <= c <= "\u9fff"]
    return {a + b for a, b in zip(cjk, cjk[1:], strict=False)} | set(_LATIN.findall(lowered))


def explain(
    query_terms: Sequence[str],
    text: str,
    sentences: Sequence[str],
    weight: Callable[[str], float],
    query_text: str = "",
    *,
    min_weight: float = 0.0,
) -> Explanation:
    """Return the query terms found in `text` and the sentence holding most of their weight.

    Terms are matched case-insensitively as substrings, which suits Chinese (no spaces between
    words); `weight` (e.g. a term's IDF) makes a rare shared term count for more than a common
    one when choosing the sentence. Terms of one character, or weighing less than
    `min_weight` (words most listings contain), say nothing about the match and are left out.
    When no term is shared, the sentence sharing most character pairs with `query_text` is
    chosen instead.
    """
    lowered = text.lower()
    found = [
        term
        for term in query_terms
        if len(term) > 1 and term.lower() in lowered and weight(term) >= min_weight
    ]
    weighted = [(term.lower(), weight(term)) for term in found]
    best: str | None = None
    best_weight = 0.0
    for sentence in sentences:
        lowered_sentence = sentence.lower()
        total = sum(value for term, value in weighted if term in lowered_sentence)
        if total > best_weight:
            best, best_weight = sentence, total
    if best is None and query_text:
        query_units = _query_units(query_text)
        overlaps = [(len(query_units & _units(s)), -i, s) for i, s in enumerate(sentences)]
        if overlaps and max(overlaps)[0] > 0:
            best = max(overlaps)[2]
    return Explanation(terms_found=found, best_sentence=best)
