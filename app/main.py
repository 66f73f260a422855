"""The FastAPI application: wiring only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from app.api import errors
from app.api.limits import BodySizeLimit
from app.api.routes import demands, health, listings
from app.config import Settings, get_settings
from app.db import create_db_engine, make_session_factory
from app.logs import configure_logging


def create_app(
    settings: Settings | None = None, *, session_factory: sessionmaker[Session] | None = None
) -> FastAPI:
    """Build the application; tests pass their own settings and session factory."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level)
        engine = None
        if session_factory is None:
            engine = create_db_engine(settings.database_url)
            app.state.session_factory = make_session_factory(engine)
        else:
            app.state.session_factory = session_factory
        try:
            yield
        finally:
            if engine is not None:
                engine.dispose()

    app = FastAPI(
        title="PatentBridge",
        version="1.0",
        summary="Open-licence patents of Chinese universities matched with SME demands.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    errors.install(app)
    app.add_middleware(
        BodySizeLimit,
        json_limit=settings.max_request_kb * 1024,
        upload_limit=settings.max_upload_bytes,
    )
    app.include_router(health.router)
    app.include_router(listings.router)
    app.include_router(demands.router)
    return app
