"""Progress bars for long jobs: shown on a terminal, silent under cron and in tests."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(
    total: int, *, enabled: bool, desc: str, unit: str = "listing"
) -> Iterator[Callable[[int], object]]:
    """Yield a function that advances a tqdm bar by n; a no-op off a terminal."""
    if not (enabled and total and sys.stderr.isatty()):
        yield lambda _n: None
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=desc, unit=unit, file=sys.stderr) as bar:
        yield bar.update
