"""Load and soak test of a running server: N clients, a mix of operations, then a check.

`run_load` drives a server on loopback (it refuses any other address) with `clients`
concurrent HTTP clients for at most `seconds` and `max_requests`, reports throughput, errors
and latency percentiles per operation, and then reads back every write the server
acknowledged: each listing number of a committed import and each demand id. `provision`
creates the organisations and keys a run needs, straight in the server's database.

Errors: `LoadError` for a refused target or bad bounds. Any non-2xx answer (but 429, which
is counted apart and waited out as `Retry-After` says) or transport failure is an error of
the run.
"""

from __future__ import annotations

import ipaddress
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from app.core.db import create_db_engine, make_session_factory, session_scope
from app.models import OrganisationKind, Role
from app.services import keys, organisations
from tools.load.work import MIXES, Ledger, Mix, Workload, pick

MAX_SECONDS: Final = 3600.0
MAX_CLIENTS: Final = 256
MAX_REQUESTS: Final = 1_000_000


class LoadError(Exception):
    """The run was refused: a target off loopback, or bounds out of range."""


def require_loopback(base_url: str) -> None:
    """Raise LoadError unless `base_url` names this machine (127.0.0.0/8, ::1, localhost)."""
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise LoadError(f"refusing {base_url!r}: only loopback addresses are allowed") from None
    if not address.is_loopback:
        raise LoadError(f"refusing {base_url!r}: {host} is not a loopback address")


@dataclass(frozen=True)
class LoadConfig:
    """One run: where, how many clients, how long, which mix, and whose keys."""

    base_url: str
    tto_keys: tuple[str, ...]
    sme_keys: tuple[str, ...]
    clients: int = 16
    seconds: float = 120.0
    max_requests: int = 100_000
    mix: Mix = "mixed"
    rows_per_import: int = 20
    seed: int = 0
    timeout: float = 120.0

    def check(self) -> None:
        """Raise LoadError if the run would not be bounded or has nobody to act as."""
        require_loopback(self.base_url)
        if not 1 <= self.clients <= MAX_CLIENTS:
            raise LoadError(f"clients must be 1 to {MAX_CLIENTS}")
        if not 0 < self.seconds <= MAX_SECONDS:
            raise LoadError(f"seconds must be more than 0 and at most {MAX_SECONDS:g}")
        if not 1 <= self.max_requests <= MAX_REQUESTS:
            raise LoadError(f"max_requests must be 1 to {MAX_REQUESTS:,}")
        if not self.sme_keys or (self.mix == "mixed" and not self.tto_keys):
            raise LoadError("give at least one SME key, and a TTO key for the mixed load")
        if self.mix not in MIXES:
            raise LoadError(f"mix must be one of {', '.join(MIXES)}")


@dataclass(frozen=True)
class OperationStats:
    """Count, errors and latency percentiles (ms) of one kind of request."""

    name: str
    count: int
    errors: int
    p50: float
    p95: float
    p99: float
    max: float


@dataclass(frozen=True)
class LoadReport:
    """What a run did, how fast, and whether every acknowledged write is there."""

    seconds: float
    clients: int
    mix: str
    requests: int
    errors: int
    throttled: int
    operations: list[OperationStats]
    acknowledged_listings: int
    acknowledged_demands: int
    created_by_imports: int
    missing_listings: list[str]
    missing_demands: list[int]
    error_samples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return whether the run had no error and lost no acknowledged write."""
        counts_add_up = self.created_by_imports == self.acknowledged_listings
        return (
            self.errors == 0
            and not self.missing_listings
            and not self.missing_demands
            and counts_add_up
        )

    def to_text(self) -> str:
        """Return the report as the table the README quotes."""
        lines = [
            f"{self.requests} requests from {self.clients} clients in {self.seconds:.1f} s "
            f"({self.requests / self.seconds:.1f} req/s), mix {self.mix}: {self.errors} errors, "
            f"{self.throttled} throttled (429)",
            "",
            "| operation | requests | errors | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for op in self.operations:
            lines.append(
                f"| {op.name} | {op.count} | {op.errors} | {op.p50:.1f} | {op.p95:.1f} "
                f"| {op.p99:.1f} | {op.max:.1f} |"
            )
        lines += [
            "",
            f"acknowledged writes: {self.acknowledged_listings} listings (imports reported "
            f"{self.created_by_imports} created), {self.acknowledged_demands} demands; "
            f"missing afterwards: {len(self.missing_listings)} listings, "
            f"{len(self.missing_demands)} demands",
        ]
        lines += [f"error: {sample}" for sample in self.error_samples]
        return "\n".join(lines)


def provision(database_url: str, clients: int, label: str) -> tuple[list[str], list[str]]:
    """Create one university and one enterprise per client, each with a key; return the keys.

    All universities' imports share patent numbers (the overlapping pool), so they are one
    organisation with one key per client; each enterprise owns its demands.
    """
    engine = create_db_engine(database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            university = organisations.ensure(
                session=session, name=f"压测大学 {label}", kind=OrganisationKind.UNIVERSITY
            )
            tto = [
                keys.create(session=session, organisation=university, role=Role.TTO).plaintext
                for _ in range(clients)
            ]
            sme = []
            for index in range(clients):
                firm = organisations.ensure(
                    session=session,
                    name=f"压测科技有限公司 {label}-{index}",
                    kind=OrganisationKind.ENTERPRISE,
                )
                sme.append(keys.create(session=session, organisation=firm, role=Role.SME).plaintext)
    finally:
        engine.dispose()
    return tto, sme


class _Run:
    """The shared state of one run: budget, timings, errors and the ledger."""

    def __init__(self, config: LoadConfig) -> None:
        self.config = config
        self.deadline = time.monotonic() + config.seconds
        self.lock = threading.Lock()
        self.budget = config.max_requests
        self.timings: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.samples: list[str] = []
        self.throttled = 0
        self.requests = 0
        self.ledger = Ledger()
        self.workload = Workload(
            run_block=random.Random(config.seed).randrange(50),
            rows_per_import=config.rows_per_import,
        )

    def take(self) -> bool:
        with self.lock:
            if self.budget <= 0 or time.monotonic() >= self.deadline:
                return False
            self.budget -= 1
            return True

    def call(self, http: httpx.Client, name: str, method: str, path: str, **kw: Any) -> Any:
        """Send one request, time it, count it; return the JSON body of a 2xx, else None."""
        while True:
            started = time.perf_counter()
            try:
                response = http.request(method, path, **kw)
            except httpx.HTTPError as exc:
                with self.lock:
                    self.requests += 1
                self._fail(name, f"{name}: {type(exc).__name__}: {exc}")
                return None
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code == 429:
                with self.lock:
                    self.throttled += 1
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            with self.lock:
                self.requests += 1
                self.timings.setdefault(name, []).append(elapsed)
            if response.is_success:
                return response.json()
            self._fail(name, f"{name}: {response.status_code} {response.text[:300]}")
            return None

    def _fail(self, name: str, sample: str) -> None:
        with self.lock:
            self.errors[name] = self.errors.get(name, 0) + 1
            if len(self.samples) < 10:
                self.samples.append(sample)


def _client(config: LoadConfig, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=config.base_url, headers={"X-API-Key": key}, timeout=config.timeout
    )


def _demands_of(run: _Run, sme: str) -> list[int]:
    with run.lock:
        return sorted(run.ledger.demand_ids.get(sme, set()))


def _create_demand(run: _Run, http: httpx.Client, sme: str, rng: random.Random) -> None:
    body = run.call(http, "create_demand", "POST", "/v1/demands", json=run.workload.demand(rng))
    if body is not None:
        with run.lock:
            run.ledger.demand_ids.setdefault(sme, set()).add(int(body["id"]))


def _client_loop(run: _Run, index: int) -> None:
    config = run.config
    rng = random.Random(config.seed * 1000 + index)
    sme = config.sme_keys[index % len(config.sme_keys)]
    mix = MIXES[config.mix]
    imports = 0
    with _client(config, sme) as as_sme:
        tto_key = config.tto_keys[index % len(config.tto_keys)] if config.tto_keys else sme
        with _client(config, tto_key) as as_tto:
            if not _demands_of(run, sme):  # something to match, before the clock matters
                _create_demand(run, as_sme, sme, rng)
            while run.take():
                operation = pick(mix, rng)
                if operation == "import":
                    content, numbers = run.workload.import_file(index, imports, rng)
                    imports += 1
                    files = {"file": ("压测.csv", content, "text/csv")}
                    report = run.call(as_tto, "import", "POST", "/v1/listings/import", files=files)
                    if report is not None and report["committed"]:
                        with run.lock:
                            run.ledger.listing_numbers.update(numbers)
                            run.ledger.created_by_imports += int(report["created"])
                            run.ledger.import_rows += len(numbers)
                elif operation == "create_demand":
                    _create_demand(run, as_sme, sme, rng)
                elif operation == "matches":
                    mine = _demands_of(run, sme)
                    if not mine:
                        _create_demand(run, as_sme, sme, rng)
                        continue
                    demand = rng.choice(mine)
                    run.call(as_sme, "matches", "GET", f"/v1/demands/{demand}/matches")
                elif operation == "search":
                    text = run.workload.search_text(rng)
                    run.call(as_sme, "search", "POST", "/v1/search", json={"text": text})
                else:
                    run.call(as_sme, "list", "GET", "/v1/listings", params={"limit": 20})


def _pages(http: httpx.Client, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    offset = 0
    while True:
        response = http.get(path, params=params | {"limit": 100, "offset": offset})
        response.raise_for_status()
        page = response.json()
        yield from page["items"]
        offset += 100
        if offset >= page["total"]:
            return


def find_missing(config: LoadConfig, ledger: Ledger) -> tuple[list[str], list[int]]:
    """Return the acknowledged listing numbers and demand ids the server does not have."""
    missing_listings: list[str] = []
    if ledger.listing_numbers:
        with _client(config, config.tto_keys[0]) as http:
            sample = next(iter(ledger.listing_numbers))
            holder = _holder_of(http, sample)
            stored: set[str] = set()
            if holder is not None:
                params = {"holder_id": holder, "status": "any"}
                stored = {item["patent_number"] for item in _pages(http, "/v1/listings", params)}
            # Numbers of other holders (keys of several organisations) are looked up one by one.
            missing_listings = sorted(
                number
                for number in ledger.listing_numbers - stored
                if _holder_of(http, number) is None
            )
    missing_demands: list[int] = []
    for sme, ids in ledger.demand_ids.items():
        with _client(config, sme) as http:
            stored_ids = {
                item["id"] for item in _pages(http, "/v1/demands", {"include_withdrawn": True})
            }
        missing_demands += sorted(ids - stored_ids)
    return missing_listings, missing_demands


def _holder_of(http: httpx.Client, number: str) -> int | None:
    found = http.get("/v1/listings", params={"patent_number": number, "status": "any"})
    found.raise_for_status()
    items = found.json()["items"]
    return int(items[0]["holder"]["id"]) if items else None


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run_load(config: LoadConfig) -> LoadReport:
    """Run the load described by `config` and check every acknowledged write afterwards."""
    config.check()
    run = _Run(config)
    started = time.monotonic()
    threads = [
        threading.Thread(target=_client_loop, args=(run, i), name=f"load-{i}", daemon=True)
        for i in range(config.clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=config.seconds + config.timeout + 60)
    seconds = time.monotonic() - started
    missing_listings, missing_demands = find_missing(config, run.ledger)
    operations = [
        OperationStats(
            name=name,
            count=len(values),
            errors=run.errors.get(name, 0),
            p50=_percentile(values, 0.50),
            p95=_percentile(values, 0.95),
            p99=_percentile(values, 0.99),
            max=max(values),
        )
        for name, values in sorted(run.timings.items())
    ]
    ledger = run.ledger
    return LoadReport(
        seconds=seconds,
        clients=config.clients,
        mix=config.mix,
        requests=run.requests,
        errors=sum(run.errors.values()),
        throttled=run.throttled,
        operations=operations,
        acknowledged_listings=len(ledger.listing_numbers),
        acknowledged_demands=sum(len(ids) for ids in ledger.demand_ids.values()),
        created_by_imports=ledger.created_by_imports,
        missing_listings=missing_listings,
        missing_demands=missing_demands,
        error_samples=list(run.samples),
    )
