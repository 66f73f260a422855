"""The FastAPI application: wiring only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session, sessionmaker
from threadpoolctl import threadpool_limits

from app.api import docs, errors
from app.api.admission import Admission
from app.api.deps import gate
from app.api.language import RequestLanguage
from app.api.metrics import Metrics
from app.api.observe import RequestObserver
from app.api.ratelimit import RateLimiter
from app.api.router import RouteTemplates, api_router
from app.api.routes import health
from app.core.config import Settings, get_settings
from app.core.db import create_db_engine, make_session_factory
from app.core.logs import configure_logging
from app.search.engine import build_engine
from matching.embedder import Embedder


def create_app(
    settings: Settings | None = None,
    *,
    session_factory: sessionmaker[Session] | None = None,
    embedder: Embedder | None = None,
) -> FastAPI:
    """Build the application; tests pass their own settings, session factory and embedder."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level)
        # Requests do small matrix-vector products (one query against a few thousand vectors);
        # OpenBLAS splitting them over threads that compete with FAISS's OpenMP threads made
        # 0.1 ms products take 8-15 ms on a busy 2-core machine. Batch work (embedding) does
        # not go through numpy's BLAS.
        threadpool_limits(limits=1, user_api="blas")
        db_engine = None
        factory = session_factory
        if factory is None:
            db_engine = create_db_engine(settings.database_url)
            factory = make_session_factory(db_engine)
        app.state.session_factory = factory
        search = build_engine(settings, factory, embedder)
        app.state.engine = search
        search.load()
        search.start_polling()
        try:
            yield
        finally:
            search.stop()
            if db_engine is not None:
                db_engine.dispose()

    app = FastAPI(
        title="PatentBridge",
        version="1.0",
        summary="Open-licence patents of Chinese universities matched with SME demands.",
        lifespan=lifespan,
        # Served by app.api.docs from local assets, not from a CDN.
        docs_url=None,
        redoc_url=None,
        # Default-deny: every route needs a valid key unless deps.PUBLIC_PATHS names it.
        dependencies=[Depends(gate)],
        # A trailing-slash redirect would be answered before any key check, with a Location
        # built from the caller's Host header; `/v1/listings/` is a plain 404 instead.
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter(
        rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst
    )
    errors.install(app)
    docs.install(app)
    app.include_router(health.router)
    app.include_router(api_router)
    # Read once the routes are all in: the middleware below ask it for the matched route's path.
    templates = RouteTemplates(app.routes)
    # Inside the observer, so that refusals are logged and counted: nothing reads a body
    # before its key and size are checked.
    app.add_middleware(
        Admission,
        json_limit=settings.max_request_kb * 1024,
        upload_limit=settings.max_upload_bytes,
        templates=templates,
    )
    # Outermost, so that the request id and the timing cover everything inside.
    app.state.metrics = Metrics(
        engine=lambda: getattr(app.state, "engine", None),
        factory=lambda: getattr(app.state, "session_factory", None),
    )
    app.add_middleware(RequestObserver, metrics=app.state.metrics.http, templates=templates)
    # Outside the observer, so that every response inside speaks the caller's language.
    app.add_middleware(RequestLanguage)
    return app
