"""Run the README's API tour against a fresh demo; exit 1 if any answer differs from the README.

Usage: python scripts/check_readme.py [--readme README.md] [--timeout 600]
The demo runs on a free loopback port with its database and index in a temporary directory.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools import readme_tour  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", type=Path, default=Path(__file__).parents[1] / "README.md")
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the demo to start")
    args = parser.parse_args()
    steps = readme_tour.parse_tour(args.readme.read_text(encoding="utf-8"))
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
        f"README tour: {checked - len(failures)} of {checked} commands answered as the README says"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
