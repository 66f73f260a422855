"""The access matrix: for every route of the API, what each kind of caller gets.

Callers are the standard cast of `tests.factories.Actors` plus a caller without a key and one
with a revoked key. The objects in a path belong to `tto` (the listing) and `sme` (a private
demand), so `other_tto` and `other_sme` are the "other organisation" cases. Each entry also
builds a valid request, so that a refusal can only come from access control, and says whether
the route writes (a write must leave exactly one audit row, a refused one none).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.app.import_files import to_csv, valid_row
from tests.factories import listing_payload

# Owners last, so that a write by the owner (a withdrawal) cannot change what others get.
CALLERS = ("anonymous", "revoked", "operator", "other_sme", "other_tto", "sme", "tto")

# Routes that answer without a key, and the framework's own documentation routes.
PUBLIC_ROUTES = {("GET", "/healthz"), ("GET", "/readyz")}
DOC_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/docs-assets/{path}"}


@dataclass(frozen=True)
class World:
    """The objects a path can name: a listing held by `tto`, a private demand of `sme`."""

    listing_id: int
    demand_id: int
    serial: Callable[[], int]


Request = dict[str, Any]


@dataclass(frozen=True)
class Entry:
    """What each caller gets from one route, and how to build a valid request for it."""

    expect: dict[str, int]
    build: Callable[[World], Request] = field(default=lambda _world: {})
    writes: bool = False
    # The role a schema fuzzer should use for this route.
    fuzz_as: str = "tto"


def statuses(
    default: int, anonymous: int = 401, revoked: int = 401, **by_caller: int
) -> dict[str, int]:
    """Return every caller's status: `default` for keyed callers unless named."""
    out = dict.fromkeys(CALLERS, default)
    out.update(anonymous=anonymous, revoked=revoked, **by_caller)
    return out


def _listing_body(world: World) -> Request:
    return {"json": listing_payload()}


def _import_file(world: World) -> Request:
    rows = [valid_row(world.serial()) for _ in range(2)]
    return {"files": {"file": ("清单.csv", to_csv(rows))}}


def _demand_body(_world: World) -> Request:
    return {"json": {"title": "精密轴承在线监测", "description": "需要轴承振动在线监测技术。"}}


def _search_body(_world: World) -> Request:
    return {"json": {"text": "轴承故障诊断", "limit": 5}}


def _feedback_body(world: World) -> Request:
    return {
        "json": {
            "demand_id": world.demand_id,
            "listing_id": world.listing_id,
            "verdict": "relevant",
        }
    }


def _patch_listing(_world: World) -> Request:
    return {"json": {"contact": f"技术转移中心 {next(_contacts)}"}}


def _patch_demand(_world: World) -> Request:
    return {"json": {"budget_yuan": float(next(_contacts))}}


_contacts = iter(range(10_000, 10_000_000))

TTO_ONLY = statuses(403, tto=200, other_tto=200)
TTO_OWN = statuses(403, tto=200)
SME_OWN = statuses(403, sme=200, other_sme=404)
ANY_KEY = statuses(200)

MATRIX: dict[tuple[str, str], Entry] = {
    ("GET", "/healthz"): Entry(statuses(200, anonymous=200, revoked=200)),
    ("GET", "/readyz"): Entry(statuses(200, anonymous=200, revoked=200)),
    # Request counts would let anyone count others' private demands: operators only.
    ("GET", "/metrics"): Entry(statuses(403, operator=200), fuzz_as="operator"),
    ("POST", "/v1/listings"): Entry(
        statuses(403, tto=201, other_tto=201), _listing_body, writes=True
    ),
    ("POST", "/v1/listings/import"): Entry(TTO_ONLY, _import_file, writes=True),
    ("GET", "/v1/listings/export"): Entry(TTO_ONLY),
    ("GET", "/v1/listings"): Entry(ANY_KEY),
    ("GET", "/v1/listings/{listing_id}"): Entry(ANY_KEY),
    ("PATCH", "/v1/listings/{listing_id}"): Entry(TTO_OWN, _patch_listing, writes=True),
    ("DELETE", "/v1/listings/{listing_id}"): Entry(TTO_OWN, writes=True),
    ("GET", "/v1/listings/{listing_id}/matches"): Entry(TTO_OWN),
    ("GET", "/v1/listings/{listing_id}/royalty"): Entry(ANY_KEY),
    ("GET", "/v1/listings/{listing_id}/alerts"): Entry(TTO_OWN),
    ("POST", "/v1/demands"): Entry(
        statuses(403, sme=201, other_sme=201), _demand_body, writes=True, fuzz_as="sme"
    ),
    ("GET", "/v1/demands"): Entry(statuses(403, sme=200, other_sme=200), fuzz_as="sme"),
    ("GET", "/v1/demands/{demand_id}"): Entry(SME_OWN, fuzz_as="sme"),
    ("PATCH", "/v1/demands/{demand_id}"): Entry(SME_OWN, _patch_demand, writes=True, fuzz_as="sme"),
    ("DELETE", "/v1/demands/{demand_id}"): Entry(SME_OWN, writes=True, fuzz_as="sme"),
    ("GET", "/v1/demands/{demand_id}/matches"): Entry(SME_OWN, fuzz_as="sme"),
    ("GET", "/v1/demands/{demand_id}/alerts"): Entry(SME_OWN, fuzz_as="sme"),
    ("POST", "/v1/search"): Entry(statuses(200, operator=403), _search_body, fuzz_as="sme"),
    ("POST", "/v1/feedback"): Entry(
        statuses(403, sme=201, other_sme=404), _feedback_body, writes=True, fuzz_as="sme"
    ),
    ("GET", "/v1/audit"): Entry(statuses(403, operator=200), fuzz_as="operator"),
    ("GET", "/v1/index"): Entry(statuses(403, operator=200), fuzz_as="operator"),
    ("POST", "/v1/index/rebuild"): Entry(
        statuses(403, operator=202), writes=True, fuzz_as="operator"
    ),
}


def settle(app: Any) -> None:
    """Wait for background work a request started (a re-index) before the next request.

    Tests share one database connection, which two threads must never use at once.
    """
    rebuilder = getattr(app.state, "rebuilder", None)
    if rebuilder is not None:
        rebuilder.wait(timeout=60)


def fuzz_role(method: str, path: str) -> str:
    """Return the role whose key a fuzzer should present on a route."""
    entry = MATRIX.get((method.upper(), path))
    return entry.fuzz_as if entry is not None else "tto"
