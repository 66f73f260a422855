"""One benchmark run: check the options, measure each step in order, and assemble the report."""

from __future__ import annotations

import math
import os
import random
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings, get_settings
from app.core.db import create_db_engine, make_session_factory
from app.core.errors import PatentBridgeError
from app.jobs import migrate as migrate_job
from app.schemas import ListingCreate
from matching.embedder import Embedder, load_embedder
from matching.index import VectorIndex
from matching.text import Tokenizer, demand_text
from tools.bench.data import (
    MAX_SERIAL,
    Award,
    Corpus,
    Matrix,
    listing_record,
    read_awards,
    read_topics,
    real_vectors,
)
from tools.bench.import_throughput import load_imported, measure_import
from tools.bench.options import BenchError, BenchOptions
from tools.bench.report import BenchReport, ImportResult, RecallResult, SizeResult, evaluate_targets
from tools.bench.scale import Actors, grow, prepare_actors, write_snapshot
from tools.bench.scenarios import SCENARIOS, Probe, make_probes, measure_recall, measure_scenario
from tools.bench.server import Client, running_server, tail
from tools.progress import say


def _check(options: BenchOptions) -> None:
    if options.import_rows < 1 or options.requests < 1 or options.rounds < 1:
        raise BenchError("import rows, requests and rounds must be at least 1")
    if options.sizes and options.sizes[0] < options.import_rows:
        raise BenchError(
            f"the smallest size ({options.sizes[0]:,}) is below the imported rows "
            f"({options.import_rows:,}), which every size includes"
        )
    if options.sizes and options.sizes[-1] > MAX_SERIAL:
        raise BenchError(f"sizes above {MAX_SERIAL:,} would repeat patent numbers")
    if options.demands < 1 or options.search_texts < 1:
        raise BenchError("at least one demand and one search text are needed")


@dataclass(frozen=True)
class _Context:
    """What every step of one run shares."""

    options: BenchOptions
    settings: Settings
    factory: sessionmaker[Session]
    url: str
    workdir: Path
    embedder: Embedder
    awards: list[Award]
    topics: list[tuple[str, str]]
    rng: np.random.Generator


@dataclass(frozen=True)
class _Measured:
    imports: ImportResult
    sizes: list[SizeResult]
    recall: RecallResult | None
    corpus: Corpus


def run(options: BenchOptions) -> BenchReport:
    """Run every step of the benchmark and return its report (see the module docstring)."""
    _check(options)
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    load_start = os.getloadavg()[0]
    settings = get_settings()
    say(f"loading {options.embedding_model}, jieba and the SBIR texts")
    embedder = load_embedder(options.embedding_model)
    tokenizer = Tokenizer(user_dict=settings.jieba_user_dict)
    tokenizer.warm_up()
    awards = read_awards(options.awards_path, options.award_limit)
    random.Random(options.seed).shuffle(awards)
    topics = read_topics(options.topics_path)
    random.Random(options.seed + 1).shuffle(topics)
    if len(topics) < options.demands + options.search_texts:
        raise BenchError(f"only {len(topics)} SBIR topics for demands and search texts")
    with tempfile.TemporaryDirectory(prefix="patentbridge-bench-") as temporary:
        workdir = Path(temporary)
        url = options.database_url or f"sqlite:///{workdir / 'bench.db'}"
        migrate_job.upgrade(url)
        db_engine = create_db_engine(url)
        context = _Context(
            options=options,
            settings=settings,
            factory=make_session_factory(db_engine),
            url=url,
            workdir=workdir,
            embedder=embedder,
            awards=awards,
            topics=topics,
            rng=np.random.default_rng(options.seed),
        )
        try:
            measured = _measure(context, tokenizer)
        except PatentBridgeError as exc:
            raise BenchError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            db_engine.dispose()
    perturbed = measured.corpus.perturbed
    real_count = len(measured.corpus) - perturbed
    mean_cosine = measured.corpus.cosine_sum / perturbed if perturbed else 1.0
    neighbour = _neighbour_cosine(measured.corpus.real)
    return BenchReport(
        started_at=started_at,
        seconds=round(time.perf_counter() - started, 1),
        model_id=embedder.model_id,
        database=make_url(url).get_backend_name(),
        cpus=os.cpu_count() or 0,
        load_average=(round(load_start, 2), round(os.getloadavg()[0], 2)),
        data_note=(
            f"Listing texts are real SBIR award titles and abstracts ({len(awards):,} distinct, "
            f"reused in turn beyond that). {_real_vectors_note(measured.imports.rows, real_count)}"
            f" ({embedder.model_id} vectors); the other {perturbed:,} rows carry perturbed "
            f"copies of real vectors (Gaussian noise of length ~{options.noise}, "
            f"renormalised; mean cosine to the source {mean_cosine:.3f}, where a real vector's "
            f"nearest other real vector scores {neighbour:.3f} on average). Demands and search "
            "texts are SBIR closed-topic need statements (title + first ~600 characters)."
        ),
        noise_norm=options.noise,
        noise_mean_cosine=round(mean_cosine, 4),
        real_neighbour_cosine=round(neighbour, 4),
        distinct_texts=len(awards),
        imports=measured.imports,
        sizes=measured.sizes,
        memory_per_listing_kib=_memory_per_listing(measured.sizes),
        recall=measured.recall,
        targets=evaluate_targets(measured.imports, measured.sizes, measured.recall),
    )


def _measure(context: _Context, tokenizer: Tokenizer) -> _Measured:
    options, embedder, awards = context.options, context.embedder, context.awards
    actors = prepare_actors(context.factory)
    today = date.today()
    records = [
        listing_record(awards[i % len(awards)], i + 1, seed=options.seed, today=today)
        for i in range(options.import_rows)
    ]
    say(f"import throughput on {len(records)} SBIR awards")
    imported = measure_import(
        factory=context.factory,
        database=make_url(context.url).get_backend_name(),
        organisation_id=actors.university_id,
        records=records,
        embedder=embedder,
        rounds=options.rounds,
        settings=context.settings,
        workdir=context.workdir,
    )
    corpus = Corpus(tokenizer)
    award_of = {
        ListingCreate.model_validate(r).patent_number: i % len(awards)
        for i, r in enumerate(records)
    }
    load_imported(context.factory, corpus, embedder.model_id, award_of)
    wanted = min(max(options.real_vectors, options.import_rows), len(awards), max(options.sizes))
    if corpus.real is not None and wanted > corpus.real.shape[0]:
        # Titles, not title + abstract: a title embeds some twenty times faster, so thousands of
        # distinct real vectors cost minutes, not the half hour their abstracts would.
        say(f"real vectors of {wanted - corpus.real.shape[0]:,} SBIR titles (cached by text)")
        started_vectors = time.perf_counter()
        extra = real_vectors(
            embedder,
            [awards[i].title for i in range(corpus.real.shape[0], wanted)],
            cache_dir=options.cache_dir,
        )
        say(f"title vectors ready in {time.perf_counter() - started_vectors:.1f} s")
        corpus.real = np.concatenate([corpus.real, extra])
    probes = make_probes(
        factory=context.factory,
        topics=context.topics,
        count_demands=options.demands,
        count_texts=options.search_texts,
        embedder=embedder,
    )
    sizes, index, index_seconds = _scale_steps(context, corpus, actors, probes)
    recall = None
    if options.sizes:
        say(f"HNSW recall@10 against exact search at {len(corpus):,} vectors")
        # The demands' and search texts' vectors, then more topics up to `recall_queries`.
        known = [probe.vector for probe in (*probes[0], *probes[1])]
        more = [demand_text(t, d) for t, d in context.topics[len(known) : options.recall_queries]]
        queries = np.vstack([*known, *embedder.embed_queries(more)])
        recall = measure_recall(
            corpus=corpus,
            queries=queries[: max(1, options.recall_queries)],
            hnsw=index,
            hnsw_build_seconds=index_seconds,
            broad=SCENARIOS[1],
            measured_on=(
                f"the {len(corpus):,} catalogue vectors: "
                f"{_real_vectors_note(options.import_rows, len(corpus) - corpus.perturbed)}, "
                f"the other {corpus.perturbed:,} perturbed copies of them; queries are real "
                "SBIR topic vectors"
            ),
        )
    return _Measured(imports=imported, sizes=sizes, recall=recall, corpus=corpus)


def _scale_steps(
    context: _Context,
    corpus: Corpus,
    actors: Actors,
    probes: tuple[list[Probe], list[Probe]],
) -> tuple[list[SizeResult], VectorIndex | None, float]:
    """Grow the catalogue to each size, start the server on it and measure; largest last."""
    options, embedder = context.options, context.embedder
    results: list[SizeResult] = []
    index: VectorIndex | None = None
    index_seconds = 0.0
    largest = options.sizes[-1] if options.sizes else 0
    # Bulk rows end a day before now, spaced so that the largest catalogue spans about a year.
    spacing = timedelta(seconds=max(1, 365 * 86_400 // max(1, largest)))
    newest_bulk = datetime.now(UTC) - timedelta(days=1)
    real_count = 0 if corpus.real is None else corpus.real.shape[0]
    for size in options.sizes:
        say(f"growing the catalogue to {size:,} listings")
        tokenize_before = corpus.tokenize_seconds
        grow_seconds = grow(
            factory=context.factory,
            corpus=corpus,
            target=size,
            awards=context.awards,
            holder_ids=actors.holder_ids,
            embedder=embedder,
            noise=options.noise,
            rng=context.rng,
            seed=options.seed,
            newest_bulk=newest_bulk - spacing * (largest - size),
            spacing=spacing,
        )
        tokenize_seconds = corpus.tokenize_seconds - tokenize_before
        say(f"building the index snapshot of {size:,} listings")
        built = write_snapshot(
            factory=context.factory,
            corpus=corpus,
            index_dir=context.workdir / "index",
            model_id=embedder.model_id,
            flat_threshold=context.settings.flat_index_max,
        )
        index, index_seconds = built.index, built.index_seconds
        say(f"starting the server on {size:,} listings ({index.kind} index)")
        with running_server(
            database_url=context.url,
            index_dir=context.workdir / "index",
            embedding_model=options.embedding_model,
            catchup_seconds=context.settings.catchup_seconds,
            log_path=context.workdir / "server.log",
            start_timeout=options.server_start_seconds,
        ) as server:
            rss_loaded = server.rss_mib()
            client = Client(server.port, actors.sme_key)
            try:
                scenarios = []
                for scenario in SCENARIOS:
                    result = measure_scenario(
                        client=client,
                        scenario=scenario,
                        probes=probes[0] if scenario.endpoint == "matches" else probes[1],
                        index=index,
                        facts=corpus.facts,
                        embedder=embedder,
                        requests=options.requests,
                        warmup=options.warmup,
                        seconds=options.scenario_seconds,
                    )
                    scenarios.append(result)
                    say(
                        f"{size:,}: {scenario.name}: HTTP p50 {result.http.p50:.1f} ms, "
                        f"p99 {result.http.p99:.1f} ms"
                    )
            except BenchError as exc:
                raise BenchError(f"{exc}\nserver log:\n{tail(server.log)}") from exc
            finally:
                client.close()
            rss_after = server.rss_mib()
        results.append(
            SizeResult(
                size=size,
                real_vectors=min(size, real_count),
                perturbed_vectors=max(0, size - real_count),
                index_kind=index.kind,
                insert_seconds=round(grow_seconds - tokenize_seconds, 3),
                tokenize_seconds=round(tokenize_seconds, 3),
                index_build_seconds=built.index_seconds,
                lexical_build_seconds=built.lexical_seconds,
                snapshot_seconds=built.snapshot_seconds,
                server_start_seconds=server.start_seconds,
                rss_after_load_mib=rss_loaded,
                rss_after_requests_mib=rss_after,
                scenarios=scenarios,
            )
        )
    return results, index, index_seconds


def _real_vectors_note(imported: int, real: int) -> str:
    """Say which rows carry a real vector, and of which text."""
    titles = max(0, real - imported)
    note = f"{min(imported, real):,} imported rows carry the real vector of their title + abstract"
    return note + (f", {titles:,} rows that of their own title" if titles else "")


def _neighbour_cosine(vectors: Matrix | None) -> float:
    if vectors is None or vectors.shape[0] < 2:
        return math.nan
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    return float(similarity.max(axis=1).mean())


def _memory_per_listing(sizes: Sequence[SizeResult]) -> float | None:
    if len(sizes) < 2 or sizes[-1].size == sizes[0].size:
        return None
    grown = sizes[-1].rss_after_load_mib - sizes[0].rss_after_load_mib
    return round(grown * 1024 / (sizes[-1].size - sizes[0].size), 2)
