"""Liveness, readiness and Prometheus metrics; no key needed (deps.PUBLIC_PATHS)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from app.api.deps import EngineDep, SessionDep
from app.metrics import Metrics
from app.services.matching import index_version

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Report that the process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(session: SessionDep, engine: EngineDep) -> JSONResponse:
    """Report whether the service can answer: database reachable and index loaded."""
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
        return JSONResponse(status_code=503, content=body)
    return JSONResponse(content=body)


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Return this process's metrics in the Prometheus text format."""
    registry: Metrics = request.app.state.metrics
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
