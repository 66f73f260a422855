"""The search engine of one API process: embedder, tokenizer and catalogue, kept fresh.

Created in the application's lifespan (never at import time) and reached by routes through a
dependency, so tests can build one with a test-double embedder.

Hot swap: on every poll the engine checks which snapshot `INDEX_DIR/CURRENT` names. When a
re-index (or a rollback) switched it, a new catalogue is loaded off to the side from that
snapshot and the database, caught up, and then the `catalogue` reference is replaced in one
assignment. Requests already running finish on the catalogue they started with; new ones see
the new one; none sees a half-built state. A snapshot the process refuses (another model, a
damaged file) is logged once and the current catalogue keeps serving.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.db import session_scope
from app.search import snapshots, sync
from app.search.catalogue import Catalogue
from matching.embedder import Embedder, load_embedder
from matching.index import SnapshotError
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
        # Held while the catalogue reference changes, so that a write's own refresh lands on
        # the catalogue that stays.
        self._swap_lock = threading.Lock()
        self.ready = False
        self.snapshot: str | None = None  # the snapshot the catalogue was loaded from
        self._refused: str | None = None  # a snapshot that failed to load; not retried
        self.swaps = 0

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
        self.snapshot = report.snapshot
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
        with self._swap_lock:
            sync.refresh(
                session=session, catalogue=self.catalogue, tokenizer=self.tokenizer, ids=ids
            )

    def follow_snapshot(self) -> bool:
        """Swap in the snapshot CURRENT names if it is not the one loaded; return True if so."""
        index_dir = self.config.index_dir
        if index_dir is None:
            return False
        name = snapshots.current_name(index_dir)
        if name is None or name == self.snapshot or name == self._refused:
            return False
        try:
            meta = snapshots.read_meta(index_dir, name)
        except (SnapshotError, OSError) as exc:
            return self._refuse(name, str(exc))
        if (meta.model_id, meta.dimension) != (self.embedder.model_id, self.embedder.dimension):
            return self._refuse(
                name,
                f"built with model {meta.model_id!r}, this process runs "
                f"{self.embedder.model_id!r} (restart it with the new EMBEDDING_MODEL)",
            )
        fresh = Catalogue(
            model_id=self.embedder.model_id,
            dimension=self.embedder.dimension,
            flat_threshold=self.config.flat_threshold,
        )
        with session_scope(self._session_factory) as session:
            # No embedding here: every process would race to store the same vectors.
            report = sync.load(
                session=session,
                catalogue=fresh,
                embedder=self.embedder,
                tokenizer=self.tokenizer,
                index_dir=index_dir,
                embed_limit=0,
                from_database=False,
            )
        if report.snapshot is None:
            return self._refuse(name, "it could not be loaded (see the error above)")
        with self._swap_lock:
            # Rows committed while the new catalogue loaded, this process's own included.
            with session_scope(self._session_factory) as session:
                sync.catch_up(
                    session=session,
                    catalogue=fresh,
                    tokenizer=self.tokenizer,
                    overlap=self.config.catchup_overlap,
                )
            previous, self.catalogue = self.snapshot, fresh
            self.snapshot = report.snapshot
            self.swaps += 1
        log.info(
            "index snapshot swapped in",
            extra={"snapshot": report.snapshot, "previous": previous, "listings": len(fresh)},
        )
        return True

    def _refuse(self, name: str, reason: str) -> bool:
        self._refused = name
        log.error(
            "index snapshot %s not swapped in: %s; still serving %s",
            name,
            reason,
            self.snapshot or self.catalogue.source,
        )
        return False

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
                self.follow_snapshot()
                changed = self.catch_up()
                if changed:
                    log.info("catalogue caught up", extra={"changed": changed})
            except Exception:
                # A database hiccup must not kill the thread; the next pass tries again.
                log.exception("catalogue catch-up failed")


@cache
def shared_tokenizer(user_dict: Path | None) -> Tokenizer:
    """Return one warmed-up tokenizer per dictionary for the whole process (jieba takes ~1.5 s)."""
    tokenizer = Tokenizer(user_dict=user_dict)
    tokenizer.warm_up()
    return tokenizer


def build_engine(
    settings: Settings, factory: sessionmaker[Session], embedder: Embedder | None = None
) -> SearchEngine:
    """Load the embedder and tokenizer that the settings name, and wrap them in an engine."""
    return SearchEngine(
        embedder=embedder or load_embedder(settings.embedding_model),
        tokenizer=shared_tokenizer(settings.jieba_user_dict),
        session_factory=factory,
        config=EngineConfig(
            index_dir=settings.index_dir,
            catchup_seconds=settings.catchup_seconds,
            flat_threshold=settings.flat_index_max,
        ),
    )
