"""The lock that keeps two re-index runs from overlapping.

Two layers, because they guard different things:

- a file lock (`INDEX_DIR/reindex.lock`, `flock` through the `filelock` package) guards the
  snapshot directory on this machine. The kernel drops it when the holder dies, however it dies
  (`kill -9` included), so a stale lock never blocks the next run;
- on PostgreSQL, a session advisory lock guards the database, so that two machines with their
  own `INDEX_DIR` sharing one database do not re-embed the same listings at once. The server
  drops it when the holder's connection closes. SQLite is one file on one machine, where the
  file lock suffices.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

from app.core.i18n import tr

LOCK_FILE = "reindex.lock"
# Any fixed 64-bit number, the same in every process: "PBRIDX01" in ASCII.
ADVISORY_KEY = 0x5042524944583031


class ReindexBusy(Exception):
    """Another re-index holds the lock."""


class ReindexLock:
    """Exclusive right to re-index; acquire without waiting, release from any thread."""

    def __init__(self, index_dir: Path, bind: Engine | Connection | None) -> None:
        self.index_dir = index_dir
        self._bind = bind
        # thread_local=False: the API acquires in the request thread and releases in the
        # background thread that ran the job.
        self._file = FileLock(index_dir / LOCK_FILE, timeout=0, thread_local=False)
        self._connection: Connection | None = None
        self._owns_connection = False

    def acquire(self) -> None:
        """Take both locks, or raise ReindexBusy and hold neither."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._file.acquire()
        except Timeout as exc:
            raise ReindexBusy(
                tr(
                    "本机上已有一个重建索引任务在运行（锁文件 {lock}）；请等它结束后再试",
                    "another re-index is running on this machine (lock {lock})",
                    lock=self.index_dir / LOCK_FILE,
                )
            ) from exc
        try:
            self._take_advisory()
        except BaseException:
            self._file.release()
            raise

    def release(self) -> None:
        """Release both locks."""
        try:
            self._drop_advisory()
        finally:
            self._file.release()

    def __enter__(self) -> ReindexLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def _take_advisory(self) -> None:
        if self._bind is None or self._bind.dialect.name != "postgresql":
            return
        if isinstance(self._bind, Engine):
            connection = self._bind.connect()
            self._owns_connection = True
        else:
            connection = self._bind
        taken = connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": _signed()})
        if self._owns_connection:
            connection.commit()
        if not taken:
            if self._owns_connection:
                connection.close()
            raise ReindexBusy(
                tr(
                    "已有一个重建索引任务在使用这个数据库（PostgreSQL 咨询锁 {key:#x} 已被占用）；"
                    "请等它结束后再试",
                    "another re-index is running against this database (PostgreSQL advisory lock "
                    "{key:#x} is held)",
                    key=ADVISORY_KEY,
                )
            )
        self._connection = connection

    def _drop_advisory(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _signed()})
            if self._owns_connection:
                connection.commit()
        finally:
            if self._owns_connection:
                connection.close()


def bind_of(factory: sessionmaker[Session]) -> Engine | Connection | None:
    """Return what a session factory is bound to, for the advisory lock."""
    bind = factory.kw.get("bind")
    return bind if isinstance(bind, Engine | Connection) else None


def _signed() -> int:
    # PostgreSQL's bigint is signed.
    return ADVISORY_KEY - (1 << 64) if ADVISORY_KEY >= 1 << 63 else ADVISORY_KEY
