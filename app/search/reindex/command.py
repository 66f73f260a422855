"""What `patentbridge reindex` and `scripts/reindex.py` share: run or roll back, then report.

Exit codes, for cron:

    0   done (a new snapshot, or nothing changed, or rolled back)
    1   the run failed (its `index_versions` row and the log say why); the old snapshot serves
    2   refused: a rollback target that does not exist, is live, or fits another model
    75  another re-index holds the lock (EX_TEMPFAIL: try again later); nothing was done
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from app.core.config import Settings
from app.core.db import create_db_engine, make_session_factory
from app.core.errors import PatentBridgeError
from app.core.logs import configure_logging
from app.search.reindex import rollback as reindex_rollback
from app.search.reindex import run as reindex
from app.search.reindex.hooks import AfterSwitch
from app.search.reindex.lock import ReindexBusy
from matching.embedder import load_embedder
from matching.text import Tokenizer

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2
EXIT_BUSY = 75


@dataclass(frozen=True)
class Outcome:
    """The exit code and the one line to print (stdout when 0, stderr otherwise)."""

    code: int
    line: str


def execute(
    settings: Settings,
    *,
    rollback: bool = False,
    version: int | None = None,
    force: bool = False,
    progress: bool = True,
    after_switch: AfterSwitch | None,
) -> Outcome:
    """Run the re-index (or a rollback) with the settings' database, model and index."""
    configure_logging(settings.log_level)
    if version is not None and not rollback:
        return Outcome(EXIT_REFUSED, "reindex refused: VERSION is only meaningful with --rollback")
    if settings.reindex_nice:
        # Embedding and the HNSW build take every core they get; queries must not wait.
        os.nice(settings.reindex_nice)
    engine = create_db_engine(settings.database_url)
    try:
        factory = make_session_factory(engine)
        embedder = load_embedder(settings.embedding_model)
        if rollback:
            done = reindex_rollback.rollback(
                settings=settings, factory=factory, embedder=embedder, version=version
            )
            return Outcome(EXIT_OK, done.summary())
        tokenizer = Tokenizer(user_dict=settings.jieba_user_dict)
        result = reindex.run(
            settings=settings,
            factory=factory,
            embedder=embedder,
            tokenizer=tokenizer,
            progress=progress,
            force=force,
            after_switch=after_switch,
        )
        return Outcome(EXIT_OK, result.summary())
    except ReindexBusy as exc:
        return Outcome(EXIT_BUSY, f"reindex busy: {exc}")
    except PatentBridgeError as exc:
        return Outcome(EXIT_REFUSED, f"reindex refused: {exc.msg}")
    except Exception as exc:  # noqa: BLE001 - cron needs a line and an exit code
        # reindex.run has logged the traceback already when the failure was its own.
        log.error("re-index failed: %s: %s", type(exc).__name__, exc)
        return Outcome(EXIT_FAILED, f"reindex FAILED: {type(exc).__name__}: {exc}")
    finally:
        engine.dispose()
