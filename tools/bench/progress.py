"""What a benchmark run tells the operator while it runs: stage lines and progress bars."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar

T = TypeVar("T")


def _say(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _track(items: Iterable[T], *, total: int, label: str) -> Iterable[T]:
    """Show a progress bar on a terminal when rich is installed; otherwise pass items through."""
    if not sys.stderr.isatty() or importlib.util.find_spec("rich") is None:
        return items
    from rich.console import Console
    from rich.progress import track

    return track(items, total=total, description=label, console=Console(stderr=True))
