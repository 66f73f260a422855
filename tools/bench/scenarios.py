"""Steps 3 and 5: HTTP latency scenarios beside the raw work, and HNSW recall against exact."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlencode

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session, sessionmaker

from app.core.db import session_scope
from app.schemas import DemandCreate, MatchFilters, SearchRequest
from app.search import embeddings
from app.search.catalogue import SHALLOW_POOL
from app.search.facts import FactTable
from app.services import demands, matches, organisations
from matching.embedder import Embedder
from matching.index import VectorIndex
from matching.text import demand_text
from tools.bench.data import Corpus, Matrix
from tools.bench.latency import Stats, stats
from tools.bench.options import BenchError
from tools.bench.report import RecallResult, ScenarioResult
from tools.bench.server import Client
from tools.progress import track

PAGE = 10


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
class Probe:
    """A stored demand, or a search text, with its query vector."""

    demand_id: int | None
    text: str
    vector: Matrix


def make_probes(
    *,
    factory: sessionmaker[Session],
    topics: Sequence[tuple[str, str]],
    count_demands: int,
    count_texts: int,
    embedder: Embedder,
) -> tuple[list[Probe], list[Probe]]:
    """Post demands (vectors stored, as the API does) and prepare search texts."""
    demand_probes: list[Probe] = []
    with session_scope(factory) as session:
        sme = organisations.get_by_name(session=session, name="基准企业")
        for title, description in topics[:count_demands]:
            demand = demands.create(
                session=session,
                organisation=sme,
                data=DemandCreate(title=title, description=description),
            )
            vector = embeddings.demand_vector(session=session, demand=demand, embedder=embedder)
            demand_probes.append(Probe(demand.id, embeddings.demand_query(demand), vector))
    texts = [
        SearchRequest(text=demand_text(title, description)).text
        for title, description in topics[count_demands : count_demands + count_texts]
    ]
    # The server embeds each search text itself; these vectors feed the raw FAISS timing.
    vectors = embedder.embed_queries(texts)
    search_probes = [Probe(None, text, vector) for text, vector in zip(texts, vectors, strict=True)]
    return demand_probes, search_probes


def measure_scenario(
    *,
    client: Client,
    scenario: Scenario,
    probes: Sequence[Probe],
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
    filters = matches.listing_filters(
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
    for number in track(range(total), total=total, label=scenario.name):
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
        index.search(probe.vector.reshape(1, -1), SHALLOW_POOL, allowed)
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
    beyond: list[float] = []
    if scenario.endpoint == "search":
        beyond = [h - e for h, e in zip(http_ms, embed_ms, strict=True)][warmup:]
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
        beyond_embed_p50=round(statistics.median(beyond), 3) if beyond else None,
    )


def _describe(filters: Mapping[str, str | float]) -> str:
    return "&".join(f"{name}={value}" for name, value in filters.items())


def measure_recall(
    *,
    corpus: Corpus,
    queries: Matrix,
    hnsw: VectorIndex | None,
    hnsw_build_seconds: float,
    broad: Scenario,
    measured_on: str,
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
    filters = matches.listing_filters(
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
        measured_on=measured_on,
        queries=int(queries.shape[0]),
        hnsw_params=hnsw.describe(model_id="", watermark=None).params,
        hnsw_build_seconds=round(hnsw_build_seconds, 3),
        flat_build_seconds=round(flat_seconds, 3),
        recall_at_10=recall(None),
        filtered_recall_at_10=recall(allowed),
        pool_recall_at_10=recall(None, SHALLOW_POOL),
        filter=_describe(broad.filters),
        filter_eligible=len(corpus) if allowed is None else int(allowed.size),
        hnsw_search=timed(hnsw),
        flat_search=timed(flat),
    )
