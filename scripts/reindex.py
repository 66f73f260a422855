#!/usr/bin/env python3
"""Nightly re-index for cron: `scripts/reindex.py [--rollback [VERSION]] [--force]`.

Prints one line (stdout on success, stderr otherwise) and exits 0 done, 1 failed, 2 refused,
75 another re-index is running. Settings come from the environment as for the server
(DATABASE_URL, INDEX_DIR, EMBEDDING_MODEL, ...). See docs/operations.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.config import get_settings  # noqa: E402 - after the path tweak above
from app.search.reindex.command import EXIT_OK, execute  # noqa: E402
from app.services.alerts.service import record_after_reindex  # noqa: E402


def main() -> int:
    """Parse arguments, run the job, print the summary, return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rollback",
        nargs="?",
        const=0,
        type=int,
        metavar="VERSION",
        help="point the live index back at VERSION (default: the previous kept snapshot)",
    )
    parser.add_argument("--force", action="store_true", help="build even if nothing changed")
    args = parser.parse_args()
    outcome = execute(
        get_settings(),
        rollback=args.rollback is not None,
        version=args.rollback or None,
        force=args.force,
        progress=sys.stderr.isatty(),
        after_switch=record_after_reindex,
    )
    print(outcome.line, file=sys.stdout if outcome.code == EXIT_OK else sys.stderr)
    return outcome.code


if __name__ == "__main__":
    sys.exit(main())
