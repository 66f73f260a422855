"""Skip a test whose data lives in `../shared` beside the repository when a clone has none.

CI checks out `../shared` and so still runs these tests; a fresh clone skips them with the
missing path as the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def needs_shared(*paths: Path) -> pytest.MarkDecorator:
    """Mark a test to skip, naming the first missing file, unless every path exists."""
    missing = [path for path in paths if not path.exists()]
    reason = f"needs {missing[0]} (the ../shared data beside the repository)" if missing else ""
    return pytest.mark.skipif(bool(missing), reason=reason)
