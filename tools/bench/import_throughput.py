"""Step 1, import throughput: the raw embedder against the import path, on the same rows."""

from __future__ import annotations

import itertools
import json
import math
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.db import session_scope
from app.ingest.readers import ImportLimits
from app.models import Listing, Organisation
from app.schemas import ListingCreate
from app.search import embeddings
from app.search.sync import facts_of
from app.services.imports import service as imports
from matching.embedder import Embedder
from matching.text import listing_text
from tools.bench.data import Corpus
from tools.bench.options import BenchError
from tools.bench.report import ImportResult, ImportRound
from tools.progress import say

IMPORT_BATCH = 64  # what embeddings.embed_listings sends to the model per call


def measure_import(
    *,
    factory: sessionmaker[Session],
    database: str,
    organisation_id: int,
    records: Sequence[dict[str, Any]],
    embedder: Embedder,
    rounds: int,
    settings: Settings,
    workdir: Path,
) -> ImportResult:
    """Time the raw embedder and the import path on the same rows, alternating which goes first."""
    limits = imports.limits_from(settings)
    count = len(records)
    rounds = max(1, min(rounds, count), math.ceil(count / limits.max_rows))
    bounds = [round(k * count / rounds) for k in range(rounds + 1)]
    texts = [passage(ListingCreate.model_validate(record)) for record in records]
    embedder.embed_passages(texts[:8])  # load and warm the model, untimed
    results: list[ImportRound] = []
    for number, (start, end) in enumerate(itertools.pairwise(bounds)):
        path = workdir / f"import-{number}.jsonl"
        lines = (json.dumps(record, ensure_ascii=False) for record in records[start:end])
        path.write_text("\n".join(lines), encoding="utf-8")
        if number % 2 == 0:
            raw_seconds = _time_raw(embedder, texts[start:end])
            import_seconds = _time_import(factory, organisation_id, path, embedder, limits)
        else:
            import_seconds = _time_import(factory, organisation_id, path, embedder, limits)
            raw_seconds = _time_raw(embedder, texts[start:end])
        results.append(
            ImportRound(
                rows=end - start,
                raw_seconds=round(raw_seconds, 3),
                import_seconds=round(import_seconds, 3),
                ratio=round(raw_seconds / import_seconds, 4),
            )
        )
        say(
            f"import round {number + 1}/{rounds}: {end - start} rows, raw {raw_seconds:.1f} s, "
            f"import {import_seconds:.1f} s"
        )
    raw_total = sum(r.raw_seconds for r in results)
    import_total = sum(r.import_seconds for r in results)
    return ImportResult(
        rows=count,
        database=database,
        batch_size=IMPORT_BATCH,
        raw_per_second=round(count / raw_total, 2),
        import_per_second=round(count / import_total, 2),
        ratio=round(raw_total / import_total, 4),
        median_round_ratio=round(statistics.median(r.ratio for r in results), 4),
        rounds=results,
    )


def _time_raw(embedder: Embedder, texts: Sequence[str]) -> float:
    started = time.perf_counter()
    for start in range(0, len(texts), IMPORT_BATCH):
        embedder.embed_passages(texts[start : start + IMPORT_BATCH])
    return time.perf_counter() - started


def _time_import(
    factory: sessionmaker[Session],
    organisation_id: int,
    path: Path,
    embedder: Embedder,
    limits: ImportLimits,
) -> float:
    """Import a file as `patentbridge import` does, commit included; return the seconds."""
    started = time.perf_counter()
    with session_scope(factory) as session:
        report = imports.import_listings(
            session=session,
            organisation=session.get_one(Organisation, organisation_id),
            content=path.read_bytes(),
            filename=path.name,
            dry_run=False,
            all_or_nothing=True,
            limits=limits,
            embedder=embedder,
        ).report
        if not report.committed or report.unchanged or report.updated:
            raise BenchError(f"{path.name} did not import cleanly: {report.rejected[:3]}")
    return time.perf_counter() - started


def passage(data: ListingCreate) -> str:
    return listing_text(data.title, data.abstract, data.claims)


def load_imported(
    factory: sessionmaker[Session], corpus: Corpus, model_id: str, award_of: dict[str, int]
) -> None:
    """Mirror the imported listings, whose vectors are the real ones the perturbed rows copy."""
    with session_scope(factory) as session:
        rows = list(session.scalars(select(Listing).order_by(Listing.id)))
        vectors = embeddings.listing_vectors(
            session=session, ids=[r.id for r in rows], model_id=model_id
        )
        tokens = [
            corpus.tokens_of(award_of[r.patent_number], embeddings.listing_passage(r)) for r in rows
        ]
        for row in rows:
            corpus.facts.upsert(facts_of(row))
    real = np.stack([vectors[r.id] for r in rows])
    corpus.add([r.id for r in rows], real, tokens)
    # Row i of corpus.real must be award i's vector; the import rounds write rows in their own
    # order, so place each by its award.
    awards = [award_of[r.patent_number] for r in rows]
    if sorted(awards) != list(range(len(rows))):
        raise BenchError(
            "the imported rows are not the first awards; cannot pair texts and vectors"
        )
    by_award = np.empty_like(real)
    by_award[awards] = real
    corpus.real = by_award
