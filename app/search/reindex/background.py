"""`POST /v1/index/rebuild`: the re-index job on a background thread of an API process.

The lock is taken in the request, so the caller learns at once (409) that a run is already
going, here or in any other process; the thread then runs the job with that lock, releases it,
and makes this process swap the new snapshot in without waiting for its next poll.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.errors import Conflict
from app.core.i18n import reason_of, tr
from app.models import utcnow
from app.search.engine import SearchEngine
from app.search.reindex import run as reindex
from app.search.reindex.hooks import AfterSwitch
from app.search.reindex.lock import ReindexBusy, ReindexLock, bind_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RebuildState:
    """The last background run as this process knows it."""

    running: bool
    started_at: datetime | None
    finished_at: datetime | None
    summary: str | None
    error: str | None


class BackgroundReindex:
    """At most one re-index thread per process; state readable by `GET /v1/index`."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()
        self._state = RebuildState(False, None, None, None, None)

    @property
    def state(self) -> RebuildState:
        """Return what the last background run did, or is doing."""
        return self._state

    def start(
        self,
        *,
        settings: Settings,
        factory: sessionmaker[Session],
        engine: SearchEngine,
        after_switch: AfterSwitch | None,
        force: bool = False,
        on_accepted: Callable[[], None] | None = None,
    ) -> RebuildState:
        """Start a run, or raise Conflict when one is already running anywhere.

        `on_accepted` runs once the lock is held and before the thread starts (the route
        commits its audit row there); if it raises, the lock is released and nothing runs.
        """
        with self._guard:
            if self._thread is not None and self._thread.is_alive():
                raise Conflict(
                    tr(
                        "这个进程中已有一个重建索引任务在运行；可用 GET /v1/index 查看进度",
                        "a re-index is already running in this process",
                    )
                )
            lock = ReindexLock(settings.index_dir, bind_of(factory))
            try:
                lock.acquire()
            except ReindexBusy as exc:
                raise Conflict(reason_of(exc)) from exc
            if on_accepted is not None:
                try:
                    on_accepted()
                except BaseException:
                    lock.release()
                    raise
            self._state = RebuildState(True, utcnow(), None, None, None)
            self._thread = threading.Thread(
                target=self._run,
                args=(settings, factory, engine, after_switch, force, lock),
                name="reindex",
                daemon=True,
            )
            self._thread.start()
            return self._state

    def wait(self, timeout: float | None = None) -> RebuildState:
        """Wait for the running thread, if any (tests, shutdown); return the state."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self._state

    def _run(
        self,
        settings: Settings,
        factory: sessionmaker[Session],
        engine: SearchEngine,
        after_switch: AfterSwitch | None,
        force: bool,
        lock: ReindexLock,
    ) -> None:
        started = self._state.started_at
        try:
            result = reindex.run(
                settings=settings,
                factory=factory,
                embedder=engine.embedder,
                tokenizer=engine.tokenizer,
                force=force,
                after_switch=after_switch,
                lock=lock,
            )
            engine.follow_snapshot()
            self._state = RebuildState(False, started, utcnow(), result.summary(), None)
        except Exception as exc:  # noqa: BLE001 - reported through GET /v1/index
            self._state = RebuildState(
                False, started, utcnow(), None, f"{type(exc).__name__}: {exc}"
            )
