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

Modules: `datasets` (the records and their readers), `metrics`, `methods` (the rankings
compared), `tasks` (one function per task), `tools` (the per-run embedding cache and progress
output), `report` (the tables and their Markdown), `run` (`run_evaluation`).
"""

from __future__ import annotations

from tools.evaluate.datasets import (
    DEFAULT_DATA_DIR,
    Paper,
    PhrasePair,
    SentencePair,
    load_csl,
    load_stsb,
    load_uspppm,
)
from tools.evaluate.methods import DEPTH, METHODS, Method, Ranked
from tools.evaluate.metrics import (
    CUTOFF,
    mrr_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    spearman,
)
from tools.evaluate.report import Report, Row, Table, TaskResult, render_markdown
from tools.evaluate.run import FIELDS_SAMPLE, TASKS, parse_tasks, run_evaluation
from tools.evaluate.tasks import RELEVANT_SCORE

__all__ = [
    "CUTOFF",
    "DEFAULT_DATA_DIR",
    "DEPTH",
    "FIELDS_SAMPLE",
    "METHODS",
    "RELEVANT_SCORE",
    "TASKS",
    "Method",
    "Paper",
    "PhrasePair",
    "Ranked",
    "Report",
    "Row",
    "SentencePair",
    "Table",
    "TaskResult",
    "load_csl",
    "load_stsb",
    "load_uspppm",
    "mrr_at_k",
    "ndcg_at_k",
    "parse_tasks",
    "precision_at_k",
    "recall_at_k",
    "render_markdown",
    "run_evaluation",
    "spearman",
]
