"""Run the API tour of the README and docs/api.md against a fresh demo and check every answer.

The tour is every ```bash block after a `<!-- tour -->` marker, in README.md and then in
docs/api.md (scripts/check_readme.py). Every statement in it that calls curl carries its
expected answer in a comment, inline or on the next line:

    curl -s localhost:8000/healthz          # → 200 {"status": "ok"}
    LISTING=$(curl -s ... | id)             # → 201

`# → STATUS` may be followed by a JSON value (checked as a subset of the body: objects need
only the keys shown, lists only their first elements, `"..."` stands for anything, floats agree
to within 1%) or by the word `below`, meaning the first ```json block after that tour block. Other
statements (a helper function) run as written. All blocks run top to bottom, document after
document, in one bash process, in a scratch directory, with `TTO`, `SME` and `OPERATOR` set to
the demo's keys and `localhost:8000` pointed at the demo, so variables captured by
`NAME=$(...)` carry on: docs/api.md's tour continues with the README's `$LISTING` and `$DEMAND`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import children

MARKER = "<!-- tour -->"
TOUR_HOST = "localhost:8000"
EXPECT = re.compile(r"#\s*→\s*(\d{3})\b[,;]?\s*(.*)$")
ASSIGNS = re.compile(r"^([A-Z_][A-Z0-9_]*)=\$\(")
ANYTHING = "..."


class TourError(Exception):
    """A tour cannot be read, or the demo could not be started."""


@dataclass(frozen=True)
class Step:
    """One statement of the tour, where it is written, and what that document says it answers."""

    line: int
    code: str
    status: int | None = None
    expected: Any = None
    source: str = "README"


@dataclass(frozen=True)
class Answer:
    """What one step got: its status code and its body as text."""

    status: int | None
    body: str


def parse_tour(text: str, source: str = "README") -> list[Step]:
    """Return the statements of every tour block in `text` with their expected answers."""
    lines = text.splitlines()
    markers = [i for i, line in enumerate(lines) if line.strip() == MARKER]
    if not markers:
        raise TourError(f"no {MARKER} marker in {source}")
    return [step for start in markers for step in _block_steps(lines, start, source)]


def _block_steps(lines: list[str], start: int, source: str) -> list[Step]:
    """Return the steps of the ```bash block that follows the marker at `start`."""
    begin = next(i for i in range(start, len(lines)) if lines[i].startswith("```bash")) + 1
    end = next(i for i in range(begin, len(lines)) if lines[i].startswith("```"))
    below = _json_block_after(lines, end)
    steps: list[Step] = []
    i = begin
    while i < end:
        if not lines[i].strip() or lines[i].lstrip().startswith("#"):
            i += 1
            continue
        first, i = i, _statement_end(lines, i, end, source)
        code = "\n".join(lines[first:i])
        expectation = EXPECT.search(lines[i - 1]) or (
            EXPECT.match(lines[i].strip()) if i < end else None
        )
        if "curl" not in code:
            steps.append(Step(first + 1, code, source=source))
            continue
        if expectation is None:
            raise TourError(f"{source} line {first + 1}: a curl command without '# → STATUS'")
        expected = _expected(expectation[2], below, f"{source} line {first + 1}")
        steps.append(Step(first + 1, code, int(expectation[1]), expected, source))
    return steps


def _statement_end(lines: list[str], i: int, end: int, source: str) -> int:
    """Return the index after the last line of the shell statement starting at `i`."""
    text = ""
    for j in range(i, end):
        text += lines[j] + "\n"
        if lines[j].rstrip().endswith("\\"):
            continue
        try:
            shlex.split(text, comments=True)
        except ValueError:  # an open quote: a multi-line -d '{...}'
            continue
        return j + 1
    raise TourError(f"{source} line {i + 1}: the statement never ends")


def _expected(text: str, below: Any, where: str) -> Any:
    text = text.strip()
    if not text or text[0] not in '[{"':
        return below if "below" in text else None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise TourError(f"{where}: the expected JSON does not parse: {exc}") from exc


def _json_block_after(lines: list[str], end: int) -> Any:
    for i in range(end + 1, len(lines)):
        if lines[i].startswith("```json"):
            close = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            return json.loads("\n".join(lines[i + 1 : close]))
    return None


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Return where `actual` departs from `expected`, read as a subset (see the module doc)."""
    if expected == ANYTHING:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where or 'body'}: expected an object, got {_short(actual)}"]
        return [
            problem
            for key, value in expected.items()
            if key != ANYTHING
            for problem in (
                differences(value, actual[key], f"{where}.{key}")
                if key in actual
                else [f"{where}.{key}: missing"]
            )
        ]
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) < len(expected):
            return [f"{where}: expected at least {len(expected)} items, got {_short(actual)}"]
        return [
            problem
            for n, value in enumerate(expected)
            for problem in differences(value, actual[n], f"{where}[{n}]")
        ]
    if _number(expected) and _number(actual):
        # A tour shows 0.995 for 0.994624, and 1 for 1.0.
        tolerance = 0.01 * max(1.0, abs(expected)) if isinstance(expected, float) else 0
        if abs(actual - expected) <= tolerance:
            return []
    elif expected == actual and type(expected) is type(actual):
        return []
    return [f"{where}: the tour says {_short(expected)}, the demo answered {_short(actual)}"]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:119] + "…"


def run_tour(steps: list[Step], *, base: str, keys: dict[str, str], workdir: Path) -> list[Answer]:
    """Run every step in one bash process in `workdir`; return each step's answer."""
    script = [
        # Each curl call also writes its status code to stderr and a copy of its body to a file.
        'curl() { command curl -w \'%{stderr}%{http_code}\' "$@" | tee "$PB_BODY"; }',
    ]
    for n, step in enumerate(steps):
        code = step.code.replace(TOUR_HOST, base.removeprefix("http://"))
        script += [
            f"PB_BODY={n}.body; : > {n}.body",
            f"{{\n{code}\n}} 2> {n}.status",
        ]
    # No `set -eu`: a step that fails shows as a wrong answer at that step, and the rest still run.
    subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=workdir,
        env=os.environ | keys,
        stdout=subprocess.DEVNULL,
        check=False,
    )
    answers = []
    for n, step in enumerate(steps):
        status = (workdir / f"{n}.status").read_text(encoding="utf-8").strip()
        # With `-o FILE` curl writes the body there, not to the tee.
        body_file = workdir / (_output_file(step.code) or f"{n}.body")
        body = body_file.read_text(encoding="utf-8") if body_file.is_file() else ""
        answers.append(Answer(int(status[-3:]) if status[-3:].isdigit() else None, body))
    return answers


def _output_file(code: str) -> str | None:
    words = shlex.split(code, comments=True)
    return next((words[i + 1] for i, word in enumerate(words[:-1]) if word == "-o"), None)


def check(steps: list[Step], answers: list[Answer]) -> list[str]:
    """Return one line per step whose answer is not what its document says."""
    failures = []
    for step, answer in zip(steps, answers, strict=True):
        if step.status is None:
            continue
        problems: list[str] = []
        if answer.status != step.status:
            problems.append(f"status {answer.status}, {step.source} says {step.status}")
        if step.expected is not None:
            try:
                problems += differences(step.expected, json.loads(answer.body))
            except json.JSONDecodeError:
                problems.append(f"the body is not JSON: {answer.body[:200]!r}")
        if problems:
            first = step.code.splitlines()[0].strip()
            failures.append(
                f"{step.source} line {step.line}: {first}\n    " + "\n    ".join(problems)
            )
    return failures


DEMO_KEY = re.compile(r"^(TTO|SME|operator) key[^:]*:\s+(\S+)$")


@contextmanager
def running_demo(
    command: list[str], *, workdir: Path, port: int, timeout: float
) -> Iterator[dict[str, str]]:
    """Run a fresh `patentbridge demo` in `workdir`; yield the keys it printed by role."""
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{workdir / 'demo.db'}",
        "INDEX_DIR": str(workdir / "index"),
        "LOG_LEVEL": "WARNING",
    }
    log_path = workdir / "demo.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            keys = _wait_for_demo(process, port, log_path, time.monotonic() + timeout)
            yield keys
        finally:
            children.stop(process)


def _wait_for_demo(
    process: subprocess.Popen[bytes], port: int, log: Path, deadline: float
) -> dict[str, str]:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise TourError(f"the demo exited with {process.returncode}:\n{_tail(log)}")
        keys = {
            match[1].upper(): match[2]
            for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
            if (match := DEMO_KEY.match(line.strip()))
        }
        if len(keys) == 3:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                    return keys  # urlopen raises on anything but a 2xx
            except OSError:
                pass
        time.sleep(0.5)
    raise TourError(f"the demo was not ready in time:\n{_tail(log)}")


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
