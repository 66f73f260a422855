"""Retrieval and similarity evaluation on the shared benchmarks (`patentbridge evaluate`).

The data lives outside the repository (`../shared/data/eval`, described by its README) and is
read in place. The tasks, and the choices each one makes:

    uspppm  USPTO phrase matching (English). A query is an (anchor, CPC context) pair; its corpus
            is every distinct target of that context. Gain = the expert score (linear gain in
            nDCG); a target of the context never scored against the anchor has gain 0. MRR@10
            and R@10 count score >= 0.5 as relevant (0.5 = a synonym of another breadth, still
            what a searcher wants; 0.25 = merely related). Pairs whose best target scores below
            0.5 (43 of 1,699) have no relevant target and are skipped by every metric alike.
    csl     CSL (Chinese). Title -> abstract and keywords -> abstract over all 2,000 abstracts
            (dev + test): R@1 and MRR@10 of the paper's own abstract. Same-discipline P@10: the
            share of the first 10 *other* papers retrieved (the known item is removed, else it
            would count for R@1 twice) whose discipline equals the query paper's; a method that
            retrieves fewer than 10 counts the missing places as misses.
    fields  CSL, dense only, on a seeded sample of 500 papers: one concatenated text against two
            texts embedded apart and fused (max or mean of the two cosines, or reciprocal rank
            fusion). Passage side: keyword queries against the abstract alone, title + abstract
            as one text, or title and abstract apart (also as one vector, their normalised
            sum). Query side: title + keywords as one query or as two fused queries, against
            abstracts.
    stsb    STS-B-zh test: Spearman correlation between the gold score and the cosine of the
            two sentences, both embedded in the query role (e5's advice for symmetric tasks).

Retrieval methods, compared on the same queries: `bm25` (LexicalIndex over Tokenizer tokens),
`dense` (flat VectorIndex), and `hybrid` (ranking.fuse: reciprocal rank fusion of each side's
top 100) with lexical weight 1.0 and 0.5. `limit` subsamples queries with a fixed seed; for
USPPPM it takes whole contexts until `limit` queries are reached, so the corpus shrinks too.
Every distinct text is embedded once per role per run.
"""

from __future__ import annotations

import csv
import logging
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from app.config import PROJECT_ROOT
from app.errors import InvalidInput, Problem
from matching.embedder import Embedder, Vectors, normalize_rows
from matching.index import VectorIndex
from matching.lexical import LexicalIndex
from matching.ranking import FusionMethod, fuse
from matching.text import Tokenizer, demand_text, listing_text

log = logging.getLogger(__name__)

TASKS: tuple[str, ...] = ("uspppm", "csl", "fields", "stsb")
DEFAULT_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data" / "eval"
DEPTH = 100  # each retriever's list handed to fusion, as the product's search does
CUTOFF = 10
RELEVANT_SCORE = 0.5
FIELDS_SAMPLE = 500
_EMBED_CHUNK = 64

_FILES: dict[str, tuple[str, ...]] = {
    "uspppm": ("uspppm/train.csv",),
    "csl": tuple(
        f"csl_zh/{kind}_{split}.tsv"
        for split in ("dev", "test")
        for kind in ("ts", "kg", "cls_dcp")
    ),
    "stsb": ("stsb_zh/STS-B.test.data",),
}
_FILES["fields"] = _FILES["csl"]

Ranked = list[tuple[int, float]]


@dataclass(frozen=True)
class Method:
    """One way of ranking: a fusion mode of ranking.fuse and its parameters."""

    name: str
    fusion: FusionMethod
    lexical_weight: float = 1.0
    rrf_k: int = 60


METHODS: tuple[Method, ...] = (
    Method("bm25", "lexical"),
    Method("dense", "dense"),
    Method("hybrid (RRF k=60, w=1.0)", "hybrid", 1.0),
    Method("hybrid (RRF k=60, w=0.5)", "hybrid", 0.5),
)


@dataclass(frozen=True)
class Row:
    """One method's scores, in the order of its task's `metrics`."""

    method: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Table:
    """Methods by metrics on one set of queries."""

    title: str
    notes: str
    metrics: tuple[str, ...]
    queries: int
    rows: tuple[Row, ...]

    def value(self, method: str, metric: str) -> float:
        """Return one cell of the table."""
        row = next(row for row in self.rows if row.method == method)
        return row.values[self.metrics.index(metric)]


@dataclass(frozen=True)
class TaskResult:
    """The tables of one task and what the task cost."""

    task: str
    tables: tuple[Table, ...]
    embed_seconds: float
    seconds: float


@dataclass(frozen=True)
class Report:
    """Everything one evaluation run measured."""

    model_id: str
    data_dir: Path
    limit: int | None
    results: tuple[TaskResult, ...]
    seconds: float
    cpu_seconds: float  # of this process, all threads: beside `seconds`, it shows contention


# ------------------------------------------------------------------------------ metrics


def ndcg_at_k(ranking: Sequence[int], gains: Mapping[int, float], k: int = CUTOFF) -> float:
    """Return nDCG@k with linear gains; 0.0 when no document has a positive gain."""
    ideal = sorted((gain for gain in gains.values() if gain > 0), reverse=True)[:k]
    best = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
    if best == 0:
        return 0.0
    found = sum(gains.get(doc, 0.0) / math.log2(rank + 2) for rank, doc in enumerate(ranking[:k]))
    return found / best


def mrr_at_k(ranking: Sequence[int], relevant: Collection[int], k: int = CUTOFF) -> float:
    """Return 1 / rank of the first relevant document within the top k, else 0.0."""
    for rank, doc in enumerate(ranking[:k], start=1):
        if doc in relevant:
            return 1.0 / rank
    return 0.0


def recall_at_k(ranking: Sequence[int], relevant: Collection[int], k: int) -> float:
    """Return the share of the relevant documents found within the top k."""
    if not relevant:
        return 0.0
    return sum(doc in relevant for doc in ranking[:k]) / len(relevant)


def precision_at_k(ranking: Sequence[int], relevant: Collection[int], k: int = CUTOFF) -> float:
    """Return the share of the k places that hold a relevant document (missing places miss)."""
    return sum(doc in relevant for doc in ranking[:k]) / k


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Return Spearman's rank correlation of two equally long series."""
    from scipy.stats import spearmanr  # type: ignore[import-untyped]

    return float(spearmanr(x, y).statistic)


# ------------------------------------------------------------------------------ data


@dataclass(frozen=True)
class PhrasePair:
    """A USPPPM judgement: how close `target` is to `anchor` within a CPC context."""

    anchor: str
    target: str
    context: str
    score: float


@dataclass(frozen=True)
class Paper:
    """A CSL paper, assembled from the same row of its split's ts, kg and cls_dcp files."""

    title: str
    abstract: str
    keywords: tuple[str, ...]
    discipline: str

    @property
    def keyword_text(self) -> str:
        """Return the keywords as one Chinese enumeration."""
        return "、".join(self.keywords)


@dataclass(frozen=True)
class SentencePair:
    """An STS-B pair with its gold similarity (0-5)."""

    first: str
    second: str
    score: float


def _bad(path: Path, line: int, msg: str) -> InvalidInput:
    return InvalidInput(f"{path}:{line}: {msg}", loc=(path.name, line))


def load_uspppm(path: Path) -> list[PhrasePair]:
    """Read USPPPM's `id,anchor,target,context,score` CSV."""
    pairs = []
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        missing = {"anchor", "target", "context", "score"} - set(reader.fieldnames or ())
        if missing:
            raise _bad(path, 1, f"missing columns {sorted(missing)}")
        for line, row in enumerate(reader, start=2):
            try:
                score = float(row["score"])
            except (TypeError, ValueError):
                raise _bad(path, line, f"score {row['score']!r} is not a number") from None
            if not 0 <= score <= 1 or not row["anchor"] or not row["target"]:
                raise _bad(path, line, "needs an anchor, a target and a score in [0, 1]")
            pairs.append(PhrasePair(row["anchor"], row["target"], row["context"], score))
    return pairs


def load_csl(directory: Path, splits: Sequence[str] = ("dev", "test")) -> list[Paper]:
    """Read CSL papers of `splits`, joining row i of the split's ts, kg and cls_dcp files."""
    papers = []
    for split in splits:
        titles = _tsv(directory / f"ts_{split}.tsv")
        keywords = _tsv(directory / f"kg_{split}.tsv")
        disciplines = _tsv(directory / f"cls_dcp_{split}.tsv")
        if not len(titles) == len(keywords) == len(disciplines):
            raise _bad(directory / f"ts_{split}.tsv", 0, "ts, kg and cls_dcp differ in length")
        for line, (ts, kg, dcp) in enumerate(
            zip(titles, keywords, disciplines, strict=True), start=1
        ):
            abstract = ts[1]
            # kg holds "abstract title" and cls_dcp the abstract: a check that rows align.
            if not kg[1].startswith(abstract) or dcp[1] != abstract:
                raise _bad(directory / f"kg_{split}.tsv", line, "row is not the ts row's paper")
            words = tuple(word for word in kg[2].split("_") if word)
            papers.append(Paper(title=ts[2], abstract=abstract, keywords=words, discipline=dcp[2]))
    return papers


def load_stsb(path: Path) -> list[SentencePair]:
    """Read STS-B-zh's `s1<TAB>s2<TAB>score` lines."""
    pairs = []
    for line, (first, second, score) in enumerate(_tsv(path), start=1):
        try:
            pairs.append(SentencePair(first, second, float(score)))
        except ValueError:
            raise _bad(path, line, f"score {score!r} is not a number") from None
    return pairs


def _tsv(path: Path) -> list[list[str]]:
    rows = []
    with path.open(encoding="utf-8") as file:
        for line, text in enumerate(file, start=1):
            fields = text.rstrip("\r\n").split("\t")
            if len(fields) != 3 or not all(fields):
                raise _bad(path, line, f"expected 3 non-empty tab-separated fields: {text[:60]!r}")
            rows.append(fields)
    return rows


# ------------------------------------------------------------------------------ running


def parse_tasks(text: str) -> tuple[str, ...]:
    """Return the task names of a comma-separated list, in canonical order."""
    names = {name.strip().lower() for name in text.split(",") if name.strip()}
    unknown = sorted(names - set(TASKS))
    if unknown or not names:
        raise InvalidInput(
            f"unknown tasks {unknown}; choose from {', '.join(TASKS)}", loc=("tasks",)
        )
    return tuple(task for task in TASKS if task in names)


def run_evaluation(
    tasks: Sequence[str] = TASKS,
    *,
    embedder: Embedder,
    tokenizer: Tokenizer,
    data_dir: Path = DEFAULT_DATA_DIR,
    limit: int | None = None,
    seed: int = 0,
    fields_sample: int = FIELDS_SAMPLE,
    progress: bool = False,
) -> Report:
    """Run the chosen tasks on the data under `data_dir` and return their tables.

    Every file is checked before anything is embedded, so a long run does not fail late.
    """
    selected = parse_tasks(",".join(tasks))
    missing = sorted({n for t in selected for n in _FILES[t] if not (data_dir / n).is_file()})
    if missing:
        raise InvalidInput.of(
            [Problem(f"{data_dir / n} not found", ("data_dir",)) for n in missing]
        )
    out = _Output(progress)
    tools = _Tools(_Embeddings(embedder, out), tokenizer, out)
    start, cpu_start = time.perf_counter(), time.process_time()
    papers = load_csl(data_dir / "csl_zh") if {"csl", "fields"} & set(selected) else []
    results: list[TaskResult] = []
    for task in selected:
        # Each task draws its own sample, the same whichever other tasks run.
        rng = random.Random(seed)
        out.log(f"{task}: started")
        task_start, embed_start = time.perf_counter(), tools.embeddings.seconds
        if task == "uspppm":
            found = _uspppm(load_uspppm(data_dir / "uspppm/train.csv"), tools, limit, rng)
        elif task == "csl":
            found = _csl(papers, tools, limit, rng)
        elif task == "fields":
            found = _fields(papers, tools, limit, rng, fields_sample)
        else:
            found = _stsb(load_stsb(data_dir / "stsb_zh/STS-B.test.data"), tools, limit, rng)
        embed_seconds = tools.embeddings.seconds - embed_start
        seconds = time.perf_counter() - task_start
        results.append(TaskResult(task, tuple(found), embed_seconds, seconds))
        log.info("evaluated %s", task, extra={"task": task, "seconds": round(seconds, 1)})
        out.log(f"{task}: done in {_duration(seconds)} (embedding {_duration(embed_seconds)})")
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    return Report(embedder.model_id, data_dir, limit, tuple(results), seconds, cpu_seconds)


class _Output:
    """Stage lines and progress bars on stderr, or nothing at all."""

    def __init__(self, enabled: bool) -> None:
        from rich.console import Console

        self._console = Console(stderr=True, log_path=False) if enabled else None

    def log(self, message: str) -> None:
        if self._console is not None:
            self._console.log(message)

    @contextmanager
    def bar(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        console = self._console
        if console is None:
            yield lambda done: None
            return
        if not console.is_terminal:
            # A log file gets a line per tenth instead of a bar that only shows when done.
            state = {"done": 0, "tenths": 0}

            def advance(done: int) -> None:
                state["done"] += done
                tenths = state["done"] * 10 // max(total, 1)
                if tenths > state["tenths"]:
                    state["tenths"] = tenths
                    console.log(f"{description}: {state['done']:,} / {total:,}")

            yield advance
            return
        from rich import progress

        columns = (
            progress.TextColumn("{task.description}"),
            progress.BarColumn(),
            progress.MofNCompleteColumn(),
            progress.TimeElapsedColumn(),
            progress.TimeRemainingColumn(),
        )
        with progress.Progress(*columns, console=console) as bars:
            task = bars.add_task(description, total=total)
            yield lambda done: bars.advance(task, done)


class _Embeddings:
    """Embeds each distinct text once per role per run, and keeps the time the model took."""

    def __init__(self, embedder: Embedder, out: _Output) -> None:
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
class _Tools:
    embeddings: _Embeddings
    tokenizer: Tokenizer
    out: _Output


def _sample(count: int, limit: int | None, rng: random.Random) -> list[int]:
    if limit is None or limit >= count:
        return list(range(count))
    return sorted(rng.sample(range(count), limit))


def _dense(index: VectorIndex, queries: Vectors, k: int) -> list[Ranked]:
    return [[(hit.id, hit.score) for hit in hits] for hits in index.search(queries, k)]


def _fused(dense: Sequence[Ranked], lexical: Sequence[Ranked]) -> dict[str, list[list[int]]]:
    """Return each method's ranking of every query."""
    return {
        m.name: [
            [
                c.id
                for c in fuse(d, s, method=m.fusion, rrf_k=m.rrf_k, lexical_weight=m.lexical_weight)
            ]
            for d, s in zip(dense, lexical, strict=True)
        ]
        for m in METHODS
    }


def _means(name: str, per_query: Sequence[tuple[float, ...]]) -> Row:
    return Row(name, tuple(float(v) for v in np.mean(np.array(per_query), axis=0)))


def _uspppm(
    pairs: Sequence[PhrasePair], tools: _Tools, limit: int | None, rng: random.Random
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
        dense = _dense(index, tools.embeddings.queries(anchors), depth)
        sparse = [lexical.search(tools.tokenizer.tokens(anchor), depth) for anchor in anchors]
        doc_of = {target: doc for doc, target in enumerate(corpus)}
        gains = [{doc_of[t]: s for t, s in scores[context][a].items()} for a in anchors]
        relevant = [{doc for doc, gain in g.items() if gain >= RELEVANT_SCORE} for g in gains]
        for method, rankings in _fused(dense, sparse).items():
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
    rows = tuple(_means(m.name, per_method[m.name]) for m in METHODS)
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


def _csl(
    papers: Sequence[Paper], tools: _Tools, limit: int | None, rng: random.Random
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
        dense = _dense(index, tools.embeddings.queries(texts), DEPTH)
        sparse = [lexical.search(tools.tokenizer.tokens(text), DEPTH) for text in texts]
        rows = tuple(
            _means(method, _known_item(rankings, chosen, papers))
            for method, rankings in _fused(dense, sparse).items()
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


def _fields(
    papers: Sequence[Paper], tools: _Tools, limit: int | None, rng: random.Random, size: int
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
            tuple(_means(n, _known_item(r, chosen, sample)) for n, r in variants.items()),
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


def _stsb(
    pairs: Sequence[SentencePair], tools: _Tools, limit: int | None, rng: random.Random
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


# ------------------------------------------------------------------------------ report


def render_markdown(report: Report) -> str:
    """Return the report as Markdown: one table per task, the best value of a column in bold."""
    scope = "all queries" if report.limit is None else f"at most {report.limit:,} queries a task"
    lines = [
        f"## Evaluation: `{report.model_id}`",
        "",
        f"Data: `{report.data_dir}` ({scope}). Total time {_duration(report.seconds)} "
        f"(CPU time {_duration(report.cpu_seconds)}).",
    ]
    for result in report.results:
        for table in result.tables:
            lines += ["", f"### {table.title}", "", table.notes, "", *_markdown_table(table)]
        lines += [
            "",
            f"Time ({result.task}): {_duration(result.seconds)}, of which embedding "
            f"{_duration(result.embed_seconds)}.",
        ]
    return "\n".join(lines) + "\n"


def _markdown_table(table: Table) -> list[str]:
    lines = [
        "| method | " + " | ".join(table.metrics) + " |",
        "|---|" + "---:|" * len(table.metrics),
    ]
    shown = [[f"{value:.3f}" for value in row.values] for row in table.rows]
    best = [max(column, key=float) for column in zip(*shown, strict=True)]
    for row, cells in zip(table.rows, shown, strict=True):
        if len(table.rows) > 1:
            cells = [f"**{c}**" if c == top else c for c, top in zip(cells, best, strict=True)]
        lines.append(f"| {row.method} | " + " | ".join(cells) + " |")
    return lines


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"
