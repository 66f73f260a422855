"""Prometheus metrics of one API process.

Each process (each uvicorn worker) keeps its own registry and answers `/metrics` for itself:
HTTP figures count the requests that process served, and Prometheus, scraping each worker
or summing across them, sees the whole (docs/operations.md). HTTP figures are updated by the
request middleware; the index and database figures are computed when scraped, the database
ones at most every `ttl` seconds so that a busy scraper costs the database little.

Route labels are route templates (`/v1/demands/{demand_id}/matches`), never raw paths, and
every request that matched no route shares the label `unmatched`: ids cannot multiply series.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker

from app.core.db import session_scope
from app.search.engine import SearchEngine
from app.services import status

log = logging.getLogger(__name__)

UNMATCHED = "unmatched"
# From a 5 ms health check to a 10 s import; the matches target (p50 25 ms) falls mid-range.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class HttpMetrics:
    """Request latency and counts by method, route template and status."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._latency = Histogram(
            "patentbridge_http_request_duration_seconds",
            "Time from receiving a request to the end of its response, by route template.",
            ["method", "route"],
            buckets=_BUCKETS,
            registry=registry,
        )
        self._requests = Counter(
            "patentbridge_http_requests",
            "Requests answered, by route template and HTTP status.",
            ["method", "route", "status"],
            registry=registry,
        )
        # Label lookups take a lock and build tuples; keep the children per label set.
        self._children: dict[tuple[str, str, int], tuple[Histogram, Counter]] = {}

    def observe(self, method: str, route: str, status_code: int, seconds: float) -> None:
        """Count one answered request and its duration."""
        method = method if method in _METHODS else "OTHER"
        key = (method, route, status_code)
        children = self._children.get(key)
        if children is None:
            children = (
                self._latency.labels(method, route),
                self._requests.labels(method, route, str(status_code)),
            )
            self._children[key] = children
        children[0].observe(seconds)
        children[1].inc()


@dataclass(frozen=True)
class DatabaseFigures:
    last_reindex_at: datetime | None
    embedding_queue: int
    last_alert_run_at: datetime | None


def read_figures(factory: sessionmaker[Session], model_id: str) -> DatabaseFigures:
    """Read the database figures of /metrics in one short session."""
    with session_scope(factory) as session:
        return DatabaseFigures(
            last_reindex_at=status.last_reindex_at(session=session),
            embedding_queue=status.embedding_queue_length(session=session, model_id=model_id),
            last_alert_run_at=status.last_alert_run_at(session=session),
        )


class ServiceCollector(Collector):
    """Index and database figures, computed at scrape time."""

    def __init__(
        self,
        engine: Callable[[], SearchEngine | None],
        factory: Callable[[], sessionmaker[Session] | None],
        *,
        ttl: float = 10.0,
    ) -> None:
        self._engine = engine
        self._factory = factory
        self._ttl = ttl
        self._lock = threading.Lock()
        self._cached: tuple[float, DatabaseFigures | None] | None = None

    def collect(self) -> Iterable[Metric]:
        """Yield the current figures (the registry calls this on every scrape)."""
        engine = self._engine()
        if engine is None:
            return
        catalogue = engine.catalogue
        yield _gauge(
            "patentbridge_index_ready",
            "1 once this process's index is loaded.",
            float(engine.ready),
        )
        yield _gauge(
            "patentbridge_index_listings",
            "Listings in the index this process searches.",
            len(catalogue),
        )
        info = GaugeMetricFamily(
            "patentbridge_index_info",
            "The index this process searches: its version and model (value always 1).",
            labels=["version", "model"],
        )
        info.add_metric([catalogue.source, catalogue.model_id], 1.0)
        yield info
        if catalogue.watermark is not None:
            yield _gauge(
                "patentbridge_index_watermark_timestamp_seconds",
                "Newest listing change this process's index has caught up with (Unix time).",
                catalogue.watermark.timestamp(),
            )
        figures = self._figures(engine.embedder.model_id)
        if figures is None:
            return
        yield _gauge(
            "patentbridge_embedding_queue_length",
            "Active listings with no stored vector of the running model (waiting to be embedded).",
            figures.embedding_queue,
        )
        if figures.last_reindex_at is not None:
            finished = figures.last_reindex_at.timestamp()
            yield _gauge(
                "patentbridge_reindex_last_success_timestamp_seconds",
                "When the newest successful re-index finished (Unix time).",
                finished,
            )
            yield _gauge(
                "patentbridge_reindex_age_seconds",
                "Seconds since the newest successful re-index finished.",
                max(0.0, time.time() - finished),
            )
        if figures.last_alert_run_at is not None:
            yield _gauge(
                "patentbridge_alerts_last_run_timestamp_seconds",
                "When the newest alerts run finished (Unix time).",
                figures.last_alert_run_at.timestamp(),
            )

    def _figures(self, model_id: str) -> DatabaseFigures | None:
        with self._lock:
            now = time.monotonic()
            if self._cached is not None and now - self._cached[0] < self._ttl:
                return self._cached[1]
            factory = self._factory()
            figures = None
            if factory is not None:
                try:
                    figures = read_figures(factory, model_id)
                except Exception:
                    # A scrape must still answer when the database does not; /readyz says why.
                    log.warning("database figures for /metrics unavailable", exc_info=True)
            self._cached = (now, figures)
            return figures


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class Metrics:
    """The registry of one application and the collectors in it."""

    def __init__(
        self,
        engine: Callable[[], SearchEngine | None],
        factory: Callable[[], sessionmaker[Session] | None],
    ) -> None:
        # `*_created` series double a scrape and no query here reads them (a process-wide flag).
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        self.http = HttpMetrics(self.registry)
        self.registry.register(ServiceCollector(engine, factory))
        ProcessCollector(registry=self.registry)
