"""Liveness and readiness (no key: deps.PUBLIC_PATHS), and Prometheus metrics (operator key)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.api.deps import EngineDep, OperatorKey, SessionDep
from app.api.metrics import Metrics
from app.search.engine import SearchEngine
from app.services.matches import index_version

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Report that the process is alive."""
    return {"status": "ok"}


# Monitors often probe with HEAD: the same status as GET, no body.
@router.head("/healthz", include_in_schema=False)
def healthz_head() -> Response:
    """Report that the process is alive, without a body."""
    return Response(status_code=200)


@router.get("/readyz", response_model=None)
def readyz(session: SessionDep, engine: EngineDep) -> JSONResponse:
    """Report whether the service can answer: database reachable and index loaded."""
    status_code, body = _readiness(session, engine)
    return JSONResponse(status_code=status_code, content=body)


@router.head("/readyz", include_in_schema=False)
def readyz_head(session: SessionDep, engine: EngineDep) -> Response:
    """Report readiness by status alone: 200 when ready, 503 when not."""
    status_code, _ = _readiness(session, engine)
    return Response(status_code=status_code)


def _readiness(session: Session, engine: SearchEngine) -> tuple[int, dict[str, object]]:
    body: dict[str, object] = {"status": "ready", "database": "ok"}
    try:
        session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported as such
        body["database"] = f"unreachable: {type(exc).__name__}"
    body["index"] = {
        "loaded": engine.ready,
        "version": index_version(engine),
        "listings": len(engine.catalogue),
        "model": engine.embedder.model_id,
    }
    if body["database"] != "ok" or not engine.ready:
        body["status"] = "unavailable"
        return 503, body
    return 200, body


@router.get("/metrics", response_class=Response)
def metrics(request: Request, _key: OperatorKey) -> Response:
    """Return this process's metrics in the Prometheus text format (operator key or bearer).

    Request counts by route and status would let anyone count other callers' private
    activity (every `POST /v1/demands` 201), so only an operator may scrape.
    """
    registry: Metrics = request.app.state.metrics
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
