"""Dependencies that routes declare: the session, the caller's key and its role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Final

from fastapi import Depends, Path, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session, sessionmaker

from app.api.ratelimit import RateLimiter
from app.config import Settings
from app.errors import Forbidden, Unauthenticated
from app.models import ApiKey, Role
from app.search.engine import SearchEngine
from app.services import keys

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def get_session(request: Request) -> Iterator[Session]:
    """Yield one session per request; the route commits, anything uncommitted rolls back."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        yield session


# Dependencies that only read request state are `async def`: FastAPI runs a plain `def` one in
# the thread pool, and each such hop costs a request a fraction of a millisecond.


async def get_app_settings(request: Request) -> Settings:
    """Return the settings the application was built with, which may not be the process's."""
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> SearchEngine:
    """Return the process's search engine, loaded in the lifespan."""
    engine: SearchEngine = request.app.state.engine
    return engine


SessionDep = Annotated[Session, Depends(get_session)]

# Ids are 32-bit integers in the database; a larger one is a 422, not a database error.
MAX_ID: Final = 2**31 - 1
ListingId = Annotated[int, Path(ge=1, le=MAX_ID, description="a listing's id")]
DemandId = Annotated[int, Path(ge=1, le=MAX_ID, description="a demand's id")]
EngineDep = Annotated[SearchEngine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


# Routes anyone may call without a key; every other route needs one (default-deny).
PUBLIC_PATHS: Final = frozenset({"/healthz", "/readyz", "/metrics"})


def gate(request: Request, session: SessionDep) -> None:
    """Authenticate every non-public route and charge the key's rate limit.

    Installed once for the whole application, so a route that forgets to declare a key is
    still closed, and no spelling of a path that reaches a route can skip the check.
    """
    route = request.scope.get("route")
    if getattr(route, "path_format", None) in PUBLIC_PATHS:
        return
    key = keys.authenticate(session=session, presented=request.headers.get("X-API-Key"))
    limiter: RateLimiter = request.app.state.rate_limiter
    limiter.take(key.id)
    request.state.api_key = key


async def current_key(
    request: Request,
    presented: Annotated[str | None, Security(_api_key_header)],
) -> ApiKey:
    """Return the caller's live API key, checked once per request by `gate`.

    `presented` declares the header in the OpenAPI schema; `gate` has already checked it.
    """
    key: ApiKey | None = getattr(request.state, "api_key", None)
    if key is None:  # a public route declaring a key: refuse rather than serve it unchecked
        raise Unauthenticated("missing X-API-Key header", loc=("header", "X-API-Key"))
    return key


CurrentKey = Annotated[ApiKey, Depends(current_key)]


def require_role(*roles: Role) -> Callable[[ApiKey], Awaitable[ApiKey]]:
    """Return a dependency that lets through only keys with one of `roles`."""
    allowed = ", ".join(r.value for r in roles)

    async def check(key: CurrentKey) -> ApiKey:
        if key.role not in roles:
            raise Forbidden(f"this needs a key with role {allowed}; yours is {key.role.value}")
        return key

    return check


TTOKey = Annotated[ApiKey, Depends(require_role(Role.TTO))]
SearcherKey = Annotated[ApiKey, Depends(require_role(Role.SME, Role.TTO))]
SMEKey = Annotated[ApiKey, Depends(require_role(Role.SME))]
OperatorKey = Annotated[ApiKey, Depends(require_role(Role.OPERATOR))]
