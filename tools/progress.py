"""What an operator tool tells the operator while it runs: stage lines, and progress bars that
are app.core.progress's own."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TypeVar

from app.core.progress import progress_bar

T = TypeVar("T")


def say(message: str, *, who: str = "bench") -> None:
    """Print a timestamped stage line on stderr."""
    print(f"[{who} {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def track(items: Iterable[T], *, total: int, label: str) -> Iterator[T]:
    """Yield `items`, advancing a progress bar on a terminal (none elsewhere)."""
    with progress_bar(total, enabled=True, desc=label, unit="step") as advance:
        for item in items:
            yield item
            advance(1)
