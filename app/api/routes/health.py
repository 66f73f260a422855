"""Liveness and readiness probes; no key needed."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.api.deps import SessionDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Report that the process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(session: SessionDep) -> JSONResponse:
    """Report whether the service can answer: its database must be reachable."""
    try:
        session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported as such
        return JSONResponse(
            status_code=503,
            content={"status": "unavailable", "database": f"unreachable: {type(exc).__name__}"},
        )
    return JSONResponse(content={"status": "ready", "database": "ok"})
