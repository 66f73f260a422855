"""Dependencies that routes declare: the session, the caller's key and its role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Final

from fastapi import Depends, Path, Request, Security
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.routing import BaseRoute
from starlette.types import Scope

from app.api.ratelimit import RateLimiter
from app.core.config import Settings
from app.core.errors import Forbidden, Unauthenticated
from app.core.i18n import tr
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
PUBLIC_PATHS: Final = frozenset({"/healthz", "/readyz"})
_SCOPE_KEY: Final = "api_key"


def needs_key(route: BaseRoute | None) -> bool:
    """Return whether `route` may only be called with a valid key.

    API routes carry `gate`; the framework's own routes (the docs, the OpenAPI schema) do not,
    and no route at all means the router answers 404 or 405 without reading the body.
    """
    return isinstance(route, APIRoute) and route.path_format not in PUBLIC_PATHS


def presented_key(headers: Headers) -> str | None:
    """Return the key a request presents: `X-API-Key`, or a bearer token (what Prometheus sends)."""
    key = headers.get("X-API-Key")
    if key is None:
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else None
    return key or None


def is_admitted(scope: Scope) -> bool:
    """Return whether `admit` has already let this request in."""
    return _SCOPE_KEY in scope.get("state", {})


def admit(scope: Scope) -> ApiKey:
    """Authenticate the request's key, charge its rate limit and keep it in the request scope.

    The one key check of a request, by whichever asks first: `Admission` when the route
    reads a body (before any of it is read), `gate` otherwise. It blocks on the database:
    run it in a worker thread. The key is detached from the short session it was read in;
    `gate` attaches it to the request's session.
    """
    app_state = scope["app"].state
    factory: sessionmaker[Session] = app_state.session_factory
    with factory() as session:
        key = keys.authenticate(session=session, presented=presented_key(Headers(scope=scope)))
    limiter: RateLimiter = app_state.rate_limiter
    limiter.take(key.id)
    scope.setdefault("state", {})[_SCOPE_KEY] = key
    return key


async def gate(request: Request, session: SessionDep) -> None:
    """Give every non-public route the key `admit` checked, attached to the request's session.

    Installed once for the whole application, so a route that forgets to declare a key is
    still closed, and no spelling of a path that reaches a route can skip the check.
    """
    if not needs_key(request.scope.get("route")):
        return
    key: ApiKey | None = request.scope.get("state", {}).get(_SCOPE_KEY)
    if key is None:
        key = await run_in_threadpool(admit, request.scope)
    # No SQL: the row was just read; routes then lazy-load through the request's session.
    # (`request.state` is `scope["state"]`: this replaces the detached key with the attached.)
    request.state.api_key = session.merge(key, load=False)


async def current_key(
    request: Request,
    presented: Annotated[str | None, Security(_api_key_header)],
) -> ApiKey:
    """Return the caller's live API key, checked once per request by `gate`.

    `presented` declares the header in the OpenAPI schema; `gate` has already checked it.
    """
    key: ApiKey | None = getattr(request.state, "api_key", None)
    if key is None:  # a public route declaring a key: refuse rather than serve it unchecked
        raise Unauthenticated(
            tr("缺少 X-API-Key 请求头：请附上你的 API 密钥", "missing X-API-Key header"),
            loc=("header", "X-API-Key"),
        )
    return key


CurrentKey = Annotated[ApiKey, Depends(current_key)]


def require_role(*roles: Role) -> Callable[[ApiKey], Awaitable[ApiKey]]:
    """Return a dependency that lets through only keys with one of `roles`."""
    allowed = ", ".join(r.value for r in roles)

    async def check(key: CurrentKey) -> ApiKey:
        if key.role not in roles:
            raise Forbidden(
                tr(
                    "此操作需要角色为 {allowed} 的密钥；你的密钥角色是 {role}",
                    "this needs a key with role {allowed}; yours is {role}",
                    allowed=allowed,
                    role=key.role.value,
                )
            )
        return key

    return check


TTOKey = Annotated[ApiKey, Depends(require_role(Role.TTO))]
SearcherKey = Annotated[ApiKey, Depends(require_role(Role.SME, Role.TTO))]
SMEKey = Annotated[ApiKey, Depends(require_role(Role.SME))]
OperatorKey = Annotated[ApiKey, Depends(require_role(Role.OPERATOR))]
