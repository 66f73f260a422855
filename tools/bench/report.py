"""The benchmark report: result records, the targets judged on them, and the printed tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from app.search.catalogue import SHALLOW_POOL
from tools.bench.latency import Stats


@dataclass(frozen=True)
class ImportRound:
    rows: int
    raw_seconds: float
    import_seconds: float
    ratio: float  # import throughput / raw throughput


@dataclass(frozen=True)
class ImportResult:
    rows: int
    database: str
    batch_size: int
    raw_per_second: float
    import_per_second: float
    ratio: float
    median_round_ratio: float
    rounds: list[ImportRound]


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    request: str
    eligible: int
    http: Stats
    raw_faiss: Stats  # k = 10, a page
    raw_faiss_pool: Stats  # k = SHALLOW_POOL, what a first-page hybrid ranking asks of each
    raw_embed: Stats | None
    short_pages: int  # responses with fewer than min(limit, eligible) items
    # For a search: the median over probes of (HTTP time - raw embedding time of the same text,
    # measured just before it). The target compares the two p50s; this pairs each request with
    # its own embedding, so drift in the machine's speed between phases cancels out.
    beyond_embed_p50: float | None = None


@dataclass(frozen=True)
class SizeResult:
    size: int
    real_vectors: int
    perturbed_vectors: int
    index_kind: str
    insert_seconds: float
    tokenize_seconds: float
    index_build_seconds: float
    lexical_build_seconds: float
    snapshot_seconds: float
    server_start_seconds: float
    rss_after_load_mib: float
    rss_after_requests_mib: float
    scenarios: list[ScenarioResult]


@dataclass(frozen=True)
class RecallResult:
    size: int
    measured_on: str  # which vectors, of which texts, and the queries
    queries: int
    hnsw_params: dict[str, int]
    hnsw_build_seconds: float
    flat_build_seconds: float
    recall_at_10: float
    filtered_recall_at_10: float
    pool_recall_at_10: float  # the first 10 of a k = SHALLOW_POOL search, as a ranking uses
    filter: str
    filter_eligible: int
    hnsw_search: Stats
    flat_search: Stats


@dataclass(frozen=True)
class Target:
    name: str
    value: float
    limit: float
    unit: str
    at_least: bool  # the value must reach the limit (throughput, recall), not stay under it

    @property
    def met(self) -> bool:
        """Say whether the measured value satisfies the target."""
        return self.value >= self.limit if self.at_least else self.value <= self.limit


@dataclass(frozen=True)
class BenchReport:
    started_at: str
    seconds: float
    model_id: str
    database: str
    cpus: int
    load_average: tuple[float, float]  # 1-minute load at the start and at the end
    data_note: str
    noise_norm: float
    noise_mean_cosine: float
    real_neighbour_cosine: float  # mean cosine of each real vector to its nearest other
    distinct_texts: int
    imports: ImportResult
    sizes: list[SizeResult]
    memory_per_listing_kib: float | None
    recall: RecallResult | None
    targets: list[Target]

    def to_json(self) -> str:
        """Return the report as indented JSON."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


def evaluate_targets(
    imported: ImportResult, sizes: Sequence[SizeResult], recall: RecallResult | None
) -> list[Target]:
    """Return the issue's targets, judged on the largest size measured."""
    targets = [
        Target(
            "import / raw embedder throughput, median of rounds",
            imported.median_round_ratio,
            0.90,
            "x",
            at_least=True,
        )
    ]
    if sizes:
        last = sizes[-1]
        for s in last.scenarios:
            where = f"{last.size:,} {s.name}"
            if s.raw_embed is None:
                targets.append(Target(f"{where} p50", s.http.p50, 25.0, "ms", at_least=False))
                targets.append(Target(f"{where} p99", s.http.p99, 60.0, "ms", at_least=False))
            else:
                limit = round(s.raw_embed.p50 + 25.0, 3)
                name = f"{where} p50 (raw embedding p50 + 25 ms)"
                targets.append(Target(name, s.http.p50, limit, "ms", at_least=False))
    if recall is not None:
        name = f"HNSW recall@10 at {recall.size:,}"
        targets.append(Target(name, recall.recall_at_10, 0.97, "", at_least=True))
    return targets


def format_report(report: BenchReport) -> str:
    """Return the report as the plain-text tables the command prints."""
    imported = report.imports
    lines = [
        f"PatentBridge benchmark, {report.started_at}: {report.model_id}, {report.database}, "
        f"{report.cpus} CPUs, 1-min load {report.load_average[0]} -> {report.load_average[1]}, "
        f"{report.seconds:.0f} s",
        "",
        "Data: " + report.data_note,
        "",
        f"Import throughput ({imported.rows} rows in {len(imported.rounds)} alternating rounds, "
        f"embedding batches of {imported.batch_size}, {imported.database})",
        f"  raw embed_passages       {imported.raw_per_second:8.2f} listings/s",
        f"  import_listings + commit {imported.import_per_second:8.2f} listings/s",
        f"  ratio import / raw       {imported.ratio:8.3f} overall, "
        f"{imported.median_round_ratio:.3f} median of rounds "
        f"({', '.join(f'{r.ratio:.3f}' for r in imported.rounds)})",
    ]
    for size in report.sizes:
        lines += [
            "",
            f"{size.size:,} listings ({size.real_vectors:,} real vectors, "
            f"{size.perturbed_vectors:,} perturbed; {size.index_kind} index): "
            f"insert {size.insert_seconds:.1f} s, tokenise {size.tokenize_seconds:.1f} s, "
            f"FAISS build {size.index_build_seconds:.1f} s, BM25 build "
            f"{size.lexical_build_seconds:.1f} s, snapshot {size.snapshot_seconds:.1f} s, "
            f"server start {size.server_start_seconds:.1f} s; RSS {size.rss_after_load_mib:.0f} "
            f"MiB after load, {size.rss_after_requests_mib:.0f} MiB after requests",
            f"  {'request (ms)':<34}{'eligible':>9}{'n':>5}{'p50':>8}{'p95':>8}{'p99':>8}"
            f"{'faiss@10':>10}{f'faiss@{SHALLOW_POOL}':>11}{'embed':>9}{'short':>6}",
        ]
        for s in size.scenarios:
            embed = f"{s.raw_embed.p50:9.1f}" if s.raw_embed is not None else f"{'-':>9}"
            lines.append(
                f"  {s.name:<34}{s.eligible:>9,}{s.http.n:>5}{s.http.p50:8.2f}{s.http.p95:8.2f}"
                f"{s.http.p99:8.2f}{s.raw_faiss.p50:10.2f}{s.raw_faiss_pool.p50:11.2f}{embed}"
                f"{s.short_pages:>6}"
            )
        lines.append(
            "  (p50 of raw work in the bench process: FAISS VectorIndex.search at k=10 and at "
            f"k={SHALLOW_POOL}, the pool a hybrid ranking takes from each retriever; query "
            "embedding)"
        )
        lines += [
            f"  {s.name}: HTTP minus the raw embedding of the same text, median of "
            f"{s.http.n} pairs: {s.beyond_embed_p50:.1f} ms"
            for s in size.scenarios
            if s.beyond_embed_p50 is not None
        ]
    if report.memory_per_listing_kib is not None:
        lines += [
            "",
            f"Memory: server RSS grows {report.memory_per_listing_kib:.2f} KiB per listing "
            f"({report.sizes[0].size:,} -> {report.sizes[-1].size:,}, after load)",
        ]
    if report.recall is not None:
        r = report.recall
        lines += [
            "",
            f"HNSW vs exact at {r.size:,} vectors ({r.queries} real query vectors; "
            f"{', '.join(f'{k}={v}' for k, v in r.hnsw_params.items())}): "
            f"recall@10 {r.recall_at_10:.4f}, with {r.filter} ({r.filter_eligible:,} eligible) "
            f"{r.filtered_recall_at_10:.4f}; first 10 of a k={SHALLOW_POOL} search "
            f"{r.pool_recall_at_10:.4f}; build {r.hnsw_build_seconds:.1f} s "
            f"(flat {r.flat_build_seconds:.2f} s); search p50 {r.hnsw_search.p50:.3f} ms "
            f"(flat {r.flat_search.p50:.3f} ms)",
            f"  measured on {r.measured_on}",
        ]
    lines += ["", "Targets"]
    for t in report.targets:
        verdict = "met" if t.met else "MISSED"
        bound = ">=" if t.at_least else "<="
        lines.append(
            f"  {verdict:<7}{t.name}: {t.value:.3f} {t.unit} (target {bound} {t.limit} {t.unit})"
        )
    return "\n".join(lines)
