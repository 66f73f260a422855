"""The four tasks (uspppm, csl, fields, stsb): each turns its data into tables of results."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from matching.embedder import Vectors, normalize_rows
from matching.index import VectorIndex
from matching.lexical import LexicalIndex
from matching.ranking import fuse
from matching.text import demand_text, listing_text
from tools.evaluate.datasets import Paper, PhrasePair, SentencePair
from tools.evaluate.methods import DEPTH, METHODS, Ranked, dense_rankings, fused_rankings, mean_row
from tools.evaluate.metrics import (
    CUTOFF,
    mrr_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    spearman,
)
from tools.evaluate.report import Row, Table
from tools.evaluate.tools import Tools

RELEVANT_SCORE = 0.5


def _sample(count: int, limit: int | None, rng: random.Random) -> list[int]:
    if limit is None or limit >= count:
        return list(range(count))
    return sorted(rng.sample(range(count), limit))


def evaluate_uspppm(
    pairs: Sequence[PhrasePair], tools: Tools, limit: int | None, rng: random.Random
) -> list[Table]:
    scores: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for pair in pairs:
        scores[pair.context][pair.anchor][pair.target] = pair.score
    contexts = sorted(scores)
    all_queries = sum(len(anchors) for anchors in scores.values())
    if limit is not None:
        rng.shuffle(contexts)
        taken = 0
        for count, context in enumerate(contexts, start=1):
            taken += len(scores[context])
            if taken >= limit:
                contexts = contexts[:count]
                break
        contexts.sort()
    targets = {c: sorted({t for judged in scores[c].values() for t in judged}) for c in contexts}
    queries = {
        c: [a for a in sorted(scores[c]) if max(scores[c][a].values()) >= RELEVANT_SCORE]
        for c in contexts
    }
    # Embed everything first, in one pass per role.
    tools.embeddings.queries([anchor for c in contexts for anchor in queries[c]])
    tools.embeddings.passages([target for c in contexts for target in targets[c]])
    per_method: dict[str, list[tuple[float, ...]]] = defaultdict(list)
    for context in contexts:
        corpus, anchors = targets[context], queries[context]
        ids = np.arange(len(corpus), dtype=np.int64)
        depth = min(DEPTH, len(corpus))
        index = VectorIndex.build(ids, tools.embeddings.passages(corpus), kind="flat")
        lexical = LexicalIndex.build(ids.tolist(), [tools.tokenizer.tokens(t) for t in corpus])
        dense = dense_rankings(index, tools.embeddings.queries(anchors), depth)
        sparse = [lexical.search(tools.tokenizer.tokens(anchor), depth) for anchor in anchors]
        doc_of = {target: doc for doc, target in enumerate(corpus)}
        gains = [{doc_of[t]: s for t, s in scores[context][a].items()} for a in anchors]
        relevant = [{doc for doc, gain in g.items() if gain >= RELEVANT_SCORE} for g in gains]
        for method, rankings in fused_rankings(dense, sparse).items():
            for ranking, gain, rel in zip(rankings, gains, relevant, strict=True):
                per_method[method].append(
                    (
                        ndcg_at_k(ranking, gain),
                        mrr_at_k(ranking, rel),
                        recall_at_k(ranking, rel, CUTOFF),
                    )
                )
    evaluated = sum(len(anchors) for anchors in queries.values())
    picked = sum(len(scores[c]) for c in contexts)
    notes = (
        f"{evaluated:,} queries: the (anchor, context) pairs with a target scored ≥ 0.5 "
        f"({picked:,} pairs in {len(contexts)} of {len(scores)} contexts; {all_queries:,} "
        f"pairs in all). Each ranks the targets of its own context "
        f"({sum(len(t) for t in targets.values()):,} targets in all). "
        "nDCG gain = score; MRR and R@10 count score ≥ 0.5 as relevant."
    )
    rows = tuple(mean_row(m.name, per_method[m.name]) for m in METHODS)
    title = "USPPPM (English): anchor → targets of its CPC context"
    return [Table(title, notes, ("nDCG@10", "MRR@10", "R@10"), evaluated, rows)]


def _disciplines(papers: Sequence[Paper]) -> dict[str, set[int]]:
    members: dict[str, set[int]] = defaultdict(set)
    for doc, paper in enumerate(papers):
        members[paper.discipline].add(doc)
    return members


def _known_item(
    rankings: Sequence[Sequence[int]], chosen: Sequence[int], papers: Sequence[Paper]
) -> list[tuple[float, ...]]:
    """Return R@1, MRR@10 and same-discipline P@10 (known item removed) of each query."""
    members = _disciplines(papers)
    return [
        (
            recall_at_k(ranking, {own}, 1),
            mrr_at_k(ranking, {own}),
            precision_at_k([d for d in ranking if d != own], members[papers[own].discipline]),
        )
        for own, ranking in zip(chosen, rankings, strict=True)
    ]


_KNOWN_ITEM = ("R@1", "MRR@10", "same-discipline P@10")


def _chance(papers: Sequence[Paper], chosen: Sequence[int]) -> float:
    members = _disciplines(papers)
    return float(
        np.mean([(len(members[papers[i].discipline]) - 1) / (len(papers) - 1) for i in chosen])
    )


def evaluate_csl(
    papers: Sequence[Paper], tools: Tools, limit: int | None, rng: random.Random
) -> list[Table]:
    ids = np.arange(len(papers), dtype=np.int64)
    abstracts = [paper.abstract for paper in papers]
    index = VectorIndex.build(ids, tools.embeddings.passages(abstracts), kind="flat")
    lexical = LexicalIndex.build(ids.tolist(), [tools.tokenizer.tokens(a) for a in abstracts])
    chosen = _sample(len(papers), limit, rng)
    queries = {
        "title": [papers[i].title for i in chosen],
        "keywords": [papers[i].keyword_text for i in chosen],
    }
    results = []
    for name, texts in queries.items():
        dense = dense_rankings(index, tools.embeddings.queries(texts), DEPTH)
        sparse = [lexical.search(tools.tokenizer.tokens(text), DEPTH) for text in texts]
        rows = tuple(
            mean_row(method, _known_item(rankings, chosen, papers))
            for method, rankings in fused_rankings(dense, sparse).items()
        )
        notes = (
            f"{len(chosen):,} {name} queries over all {len(papers):,} abstracts (dev + test). "
            f"Same-discipline P@10 excludes the paper itself; chance = "
            f"{_chance(papers, chosen):.3f}."
        )
        title = f"CSL (Chinese): {name} → abstract"
        results.append(Table(title, notes, _KNOWN_ITEM, len(chosen), rows))
    return results


def _cosines(passages: Vectors, queries: Vectors) -> npt.NDArray[np.float32]:
    """Return every query's cosine with every passage, through an exact index."""
    ids = np.arange(len(passages), dtype=np.int64)
    index = VectorIndex.build(ids, passages, kind="flat")
    out = np.zeros((len(queries), len(passages)), dtype=np.float32)
    for row, hits in enumerate(index.search(queries, len(passages))):
        for hit in hits:
            out[row, hit.id] = hit.score
    return out


def _ranked(scores: npt.NDArray[np.floating[Any]]) -> list[Ranked]:
    """Return the top DEPTH (id, score) of each row, ties to the smaller id."""
    ids = np.arange(scores.shape[1])
    tops = [np.lexsort((ids, -row))[:DEPTH] for row in scores]
    return [
        [(int(doc), float(row[doc])) for doc in top] for row, top in zip(scores, tops, strict=True)
    ]


def _combined(
    first: npt.NDArray[np.float32], second: npt.NDArray[np.float32]
) -> dict[str, list[list[int]]]:
    """Return the rankings of two texts scored apart: max, mean and RRF of the two."""
    # fuse's two inputs are named for dense and lexical, but RRF is symmetric in them.
    rrf = [
        [c.id for c in fuse(a, b, method="hybrid")]
        for a, b in zip(_ranked(first), _ranked(second), strict=True)
    ]
    return {
        "max of the two cosines": _ids(_ranked(np.maximum(first, second))),
        "mean of the two cosines": _ids(_ranked((first + second) / 2)),
        "RRF of the two rankings": rrf,
    }


def _ids(ranked: Sequence[Ranked]) -> list[list[int]]:
    return [[doc for doc, _ in ranking] for ranking in ranked]


def evaluate_fields(
    papers: Sequence[Paper], tools: Tools, limit: int | None, rng: random.Random, size: int
) -> list[Table]:
    sample = [papers[i] for i in sorted(rng.sample(range(len(papers)), min(size, len(papers))))]
    chosen = _sample(len(sample), limit, rng)
    embed = tools.embeddings
    abstracts = embed.passages([p.abstract for p in sample])
    keywords = embed.queries([sample[i].keyword_text for i in chosen])
    by_keywords = _cosines(abstracts, keywords)
    by_titles = _cosines(abstracts, embed.queries([sample[i].title for i in chosen]))
    listings = embed.passages([listing_text(p.title, p.abstract) for p in sample])
    titles = embed.passages([p.title for p in sample])
    passage_side = {
        "abstract only": _ids(_ranked(by_keywords)),
        "title + abstract, one text": _ids(_ranked(_cosines(listings, keywords))),
    } | {
        f"title, abstract apart: {how}": rankings
        for how, rankings in _combined(_cosines(titles, keywords), by_keywords).items()
    }
    # The mean of two cosines needs two vectors per listing; one stored unit vector can only
    # approximate it with the normalised sum, which reweights each listing by 1 / |t + a|.
    summed = _cosines(normalize_rows(titles + abstracts), keywords)
    passage_side["title, abstract apart: one vector, their normalised sum"] = _ids(_ranked(summed))
    joined = [demand_text(sample[i].title, sample[i].keyword_text) for i in chosen]
    query_side = {
        "keywords only": _ids(_ranked(by_keywords)),
        "title only": _ids(_ranked(by_titles)),
        "title + keywords, one text": _ids(_ranked(_cosines(abstracts, embed.queries(joined)))),
    } | {
        f"title, keywords apart: {how}": rankings
        for how, rankings in _combined(by_titles, by_keywords).items()
    }
    scope = (
        f"Dense only; {len(chosen):,} queries over a seeded sample of {len(sample):,} CSL papers; "
        f"same-discipline P@10 chance = {_chance(sample, chosen):.3f}. "
    )
    return [
        Table(
            title,
            scope + notes,
            _KNOWN_ITEM,
            len(chosen),
            tuple(mean_row(n, _known_item(r, chosen, sample)) for n, r in variants.items()),
        )
        for title, notes, variants in (
            (
                "Separate vs concatenated fields, passage side: keywords → paper",
                "The listing is embedded as one text or as title and abstract apart.",
                passage_side,
            ),
            (
                "Separate vs concatenated fields, query side: title + keywords → abstract",
                "The query is embedded as one text or as title and keywords apart.",
                query_side,
            ),
        )
    ]


def evaluate_stsb(
    pairs: Sequence[SentencePair], tools: Tools, limit: int | None, rng: random.Random
) -> list[Table]:
    chosen = [pairs[i] for i in _sample(len(pairs), limit, rng)]
    first = tools.embeddings.queries([pair.first for pair in chosen])
    second = tools.embeddings.queries([pair.second for pair in chosen])
    cosines = (first * second).sum(axis=1)
    rho = spearman(cosines.tolist(), [pair.score for pair in chosen])
    notes = (
        f"{len(chosen):,} test pairs, both sentences in the query role. "
        "BM25 gives no pairwise similarity and is not measured."
    )
    rows = (Row("dense", (rho,)),)
    return [Table("STS-B-zh: cosine vs gold score", notes, ("Spearman ρ",), len(chosen), rows)]
