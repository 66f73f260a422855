"""Dependencies that routes declare: the session, the caller's key and its role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.errors import Forbidden
from app.models import ApiKey, Role
from app.search.engine import SearchEngine
from app.services import keys

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def get_session(request: Request) -> Iterator[Session]:
    """Yield one session per request; the route commits, anything uncommitted rolls back."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        yield session


def get_app_settings(request: Request) -> Settings:
    """Return the settings the application was built with, which may not be the process's."""
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> SearchEngine:
    """Return the process's search engine, loaded in the lifespan."""
    engine: SearchEngine = request.app.state.engine
    return engine


SessionDep = Annotated[Session, Depends(get_session)]
EngineDep = Annotated[SearchEngine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def current_key(
    session: SessionDep, presented: Annotated[str | None, Security(_api_key_header)]
) -> ApiKey:
    """Return the caller's live API key, or fail with 401."""
    return keys.authenticate(session=session, presented=presented)


CurrentKey = Annotated[ApiKey, Depends(current_key)]


def require_role(*roles: Role) -> Callable[[ApiKey], ApiKey]:
    """Return a dependency that lets through only keys with one of `roles`."""
    allowed = ", ".join(r.value for r in roles)

    def check(key: CurrentKey) -> ApiKey:
        if key.role not in roles:
            raise Forbidden(f"this needs a key with role {allowed}; yours is {key.role.value}")
        return key

    return check


TTOKey = Annotated[ApiKey, Depends(require_role(Role.TTO))]
SearcherKey = Annotated[ApiKey, Depends(require_role(Role.SME, Role.TTO))]
SMEKey = Annotated[ApiKey, Depends(require_role(Role.SME))]
OperatorKey = Annotated[ApiKey, Depends(require_role(Role.OPERATOR))]
