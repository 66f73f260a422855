"""Run the re-index and hang at a named stage, so that a crash test can SIGKILL it there.

Usage: python -m tests.processes.reindex_child STAGE MARKER_FILE (settings from the environment)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from app.core.config import Settings
from app.core.db import create_db_engine, make_session_factory
from app.search.reindex import run as reindex
from matching.embedder import load_embedder
from matching.text import Tokenizer


def main() -> None:
    stage, marker = sys.argv[1], Path(sys.argv[2])
    settings = Settings()

    def hang_at(name: str) -> None:
        if name == stage:
            marker.write_text(name, encoding="utf-8")
            time.sleep(3600)

    reindex.run(
        settings=settings,
        factory=make_session_factory(create_db_engine(settings.database_url)),
        embedder=load_embedder(settings.embedding_model),
        tokenizer=Tokenizer(),
        on_stage=hang_at,
        after_switch=None,
    )


if __name__ == "__main__":
    main()
