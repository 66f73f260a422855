"""Measure what the request observer (request id, access log, metrics) costs per request.

Calls the ASGI application directly, in one process, alternating between the service's
application with the observer and the same application without it, 500 requests to /healthz
per round; the access log is formatted as JSON and written (to /dev/null), as a server does.
The service's /healthz hops to worker threads (the key gate, the route), whose scheduling
varies on a busy machine, so the observer is also timed around an application that answers
at once: that difference is the observer's own cost.

    .venv/bin/python scripts/observer_overhead.py [--requests 500] [--rounds 9]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from app.api.metrics import HttpMetrics
from app.api.observe import RequestObserver
from app.api.router import RouteTemplates
from app.core.config import Settings
from app.core.db import create_db_engine, make_session_factory
from app.core.logs import configure_logging
from app.main import create_app

SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/healthz",
    "raw_path": b"/healthz",
    "query_string": b"",
    "root_path": "",
    "headers": [(b"host", b"localhost")],
    "client": ("127.0.0.1", 5000),
    "server": ("127.0.0.1", 8000),
}


def service(with_observer: bool, database: Path) -> Any:
    """Return the service's application, with or without the observer."""
    url = f"sqlite:///{database}"
    app = create_app(Settings(database_url=url, index_dir=database.parent / "index"))
    if not with_observer:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not RequestObserver]
    # /healthz needs no database, but the app-wide key gate asks for a session (never opened).
    app.state.session_factory = make_session_factory(create_db_engine(url))
    return app


async def bare(scope: Any, receive: Any, send: Any) -> None:
    """Answer 200 at once: an application that costs nothing."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def timed(app: Any, requests: int) -> float:
    """Return the mean seconds per request of `requests` GET /healthz."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200

    started = time.perf_counter()
    for _ in range(requests):
        await app(dict(SCOPE), receive, send)
    return (time.perf_counter() - started) / requests


async def compare(label: str, apps: dict[str, Any], requests: int, rounds: int) -> None:
    """Alternate the two applications and print the median cost of each."""
    for app in apps.values():
        await timed(app, 50)  # build the middleware stacks, warm caches
    results: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(rounds):
        for name, app in apps.items():
            results[name].append(await timed(app, requests))
    with_us = statistics.median(results["with"]) * 1e6
    without_us = statistics.median(results["without"]) * 1e6
    print(
        f"{label}, {requests} requests x {rounds} rounds: with observer {with_us:.1f} us, "
        f"without {without_us:.1f} us per request (medians); overhead {with_us - without_us:.1f} us"
    )


async def main(requests: int, rounds: int) -> None:
    """Time the service's /healthz and a bare application, each with and without."""
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "db.sqlite"
        apps = {name: service(name == "with", database) for name in ("with", "without")}
        await compare("/healthz of the service", apps, requests, rounds)
    metrics = HttpMetrics(CollectorRegistry())
    alone = {
        "with": RequestObserver(bare, metrics=metrics, templates=RouteTemplates([])),
        "without": bare,
    }
    await compare("a bare application", alone, requests, rounds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    # Logs go where a server's stderr would, minus the terminal: formatted and written.
    sys.stderr = open("/dev/null", "w")  # noqa: SIM115 - lives as long as the process
    configure_logging("INFO")
    asyncio.run(main(args.requests, args.rounds))
