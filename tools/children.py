"""Child processes that operator tools start (a demo, a server under test) and must stop."""

from __future__ import annotations

import subprocess

_GRACE_SECONDS = 20


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop `process`: ask it to exit, and kill it if it has not within the grace period."""
    process.terminate()
    try:
        process.wait(timeout=_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=_GRACE_SECONDS)
