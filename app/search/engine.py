"""The search engine of one API process: embedder, tokenizer and catalogue, kept fresh.

Created in the application's lifespan (never at import time) and reached by routes through a
dependency, so tests can build one with a test-double embedder.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.search import sync
from app.search.catalogue import Catalogue
from matching.embedder import Embedder
from matching.text import Tokenizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineConfig:
    index_dir: Path | None
    catchup_seconds: float = 2.0
    catchup_overlap: timedelta = timedelta(seconds=60)
    flat_threshold: int = 50_000


class SearchEngine:
    """Everything a process needs to rank listings, and the thread that keeps it current."""

    def __init__(
        self,
        *,
        embedder: Embedder,
        tokenizer: Tokenizer,
        session_factory: sessionmaker[Session],
        config: EngineConfig,
    ) -> None:
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.config = config
        self.catalogue = Catalogue(
            model_id=embedder.model_id,
            dimension=embedder.dimension,
            flat_threshold=config.flat_threshold,
        )
        self._session_factory = session_factory
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ready = False

    def load(self) -> sync.LoadReport:
        """Fill the catalogue from the newest snapshot and the database."""
        with session_scope(self._session_factory) as session:
            report = sync.load(
                session=session,
                catalogue=self.catalogue,
                embedder=self.embedder,
                tokenizer=self.tokenizer,
                index_dir=self.config.index_dir,
            )
        self.ready = True
        log.info(
            "catalogue loaded",
            extra={
                "source": report.source,
                "listings": report.listings,
                "embedded": report.embedded,
                "seconds": report.seconds,
            },
        )
        return report

    def catch_up(self) -> int:
        """Apply rows other processes changed since the last pass."""
        with session_scope(self._session_factory) as session:
            return sync.catch_up(
                session=session,
                catalogue=self.catalogue,
                tokenizer=self.tokenizer,
                overlap=self.config.catchup_overlap,
            )

    def refresh(self, session: Session, ids: Sequence[int]) -> None:
        """Apply this process's own committed changes to `ids` at once."""
        sync.refresh(session=session, catalogue=self.catalogue, tokenizer=self.tokenizer, ids=ids)

    def start_polling(self) -> None:
        """Start the background thread that catches up every `catchup_seconds`."""
        if self.config.catchup_seconds <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._poll, name="catalogue-catch-up", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the polling thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _poll(self) -> None:
        while not self._stop.wait(self.config.catchup_seconds):
            try:
                changed = self.catch_up()
                if changed:
                    log.info("catalogue caught up", extra={"changed": changed})
            except Exception:
                # A database hiccup must not kill the thread; the next pass tries again.
                log.exception("catalogue catch-up failed")
