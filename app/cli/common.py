"""What every command shares: a session factory on the configured database, and error output."""

from __future__ import annotations

import typer
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import get_settings
from app.core.db import create_db_engine, make_session_factory
from app.core.errors import PatentBridgeError
from app.core.i18n import Language, render


def session_factory() -> sessionmaker[Session]:
    """Return a session factory on the configured database."""
    return make_session_factory(create_db_engine(get_settings().database_url))


def fail(exc: PatentBridgeError, code: int = 2, language: Language | None = None) -> typer.Exit:
    """Print the error's problems on stderr and return the exit to raise."""
    for problem in exc.problems:
        where = ".".join(str(p) for p in problem.loc)
        msg = render(problem.msg, language)
        typer.secho(f"error: {where + ': ' if where else ''}{msg}", fg="red", err=True)
    return typer.Exit(code)
