"""Run the API tour of README.md and docs/api.md against a fresh demo; exit 1 if any answer differs.

Usage: python scripts/check_readme.py [--doc README.md --doc docs/api.md] [--timeout 600]
The documents' tours run in the order given, in one shell, so docs/api.md uses the ids the
README's tour captured. The demo runs on a free loopback port with its database and index in a
temporary directory.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools import readme_tour  # noqa: E402


def _name(doc: Path) -> str:
    """Return how failures name `doc`: its path from the repository root when it is inside."""
    path = doc.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(doc)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--doc",
        type=Path,
        action="append",
        help="a document with a tour, repeatable (default: README.md, then docs/api.md)",
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the demo to start")
    args = parser.parse_args()
    docs = args.doc or [ROOT / "README.md", ROOT / "docs" / "api.md"]
    steps = [
        step
        for doc in docs
        for step in readme_tour.parse_tour(doc.read_text(encoding="utf-8"), _name(doc))
    ]
    demo = [str(Path(sys.executable).parent / "patentbridge"), "demo"]
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="readme-tour-") as tmp:
        workdir = Path(tmp)
        with readme_tour.running_demo(
            demo, workdir=workdir, port=port, timeout=args.timeout
        ) as keys:
            answers = readme_tour.run_tour(
                steps, base=f"http://127.0.0.1:{port}", keys=keys, workdir=workdir
            )
    failures = readme_tour.check(steps, answers)
    checked = sum(step.status is not None for step in steps)
    for failure in failures:
        print(failure, file=sys.stderr)
    print(
        f"API tour ({', '.join(_name(doc) for doc in docs)}): "
        f"{checked - len(failures)} of {checked} commands answered as written"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
