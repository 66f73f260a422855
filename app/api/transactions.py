"""Commit a request's writes, running them again when they lost a race with another writer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.core.db import SQLITE_BEGIN
from app.core.errors import Conflict
from app.core.i18n import tr

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 3
# PostgreSQL's serialization failure and deadlock: the transaction may simply be run again.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def lost_race(exc: Exception) -> bool:
    """Return whether `exc` means another transaction got there first, not that this one is wrong.

    A unique key taken meanwhile (two imports creating one patent), a row changed since it was
    read (the version check in the UPDATE matched nothing), a PostgreSQL serialization failure
    or deadlock, or SQLite's single writer lock.
    """
    if isinstance(exc, IntegrityError | StaleDataError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(exc.orig)


def _begin_for_writing(session: Session) -> None:
    """On SQLite, start the write's transaction holding the write lock (BEGIN IMMEDIATE).

    The key check has already opened a read transaction; it ends here, and the write begins
    afresh. PostgreSQL needs none of this: its row locks and the version check suffice.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    session.rollback()
    session.connection(execution_options={SQLITE_BEGIN: "immediate"})


def commit_with_retry(session: Session, work: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """Run `work` and commit; after a lost race roll back and run it again, up to `attempts`.

    `work` must read what it needs itself, so that a second run sees the winner's rows and
    decides afresh (a patent created meanwhile is then an update, or a clean 409).
    """
    for attempt in range(1, attempts + 1):
        try:
            _begin_for_writing(session)
            result = work()
            session.commit()
            return result
        except (DBAPIError, StaleDataError) as exc:
            session.rollback()
            if not lost_race(exc):
                raise
            if attempt == attempts:
                if isinstance(exc, IntegrityError):
                    raise Conflict(
                        tr(
                            "另一个请求同时写入了相同的数据；请稍后重试",
                            "another request wrote the same data at the same time; try again",
                        )
                    ) from exc
                raise
            log.info("write lost a race; running it again", extra={"attempt": attempt})
    raise AssertionError("unreachable")
