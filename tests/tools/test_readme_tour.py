"""The tour checker reads commands and expectations from every tour block of each document, runs
them in one shell, and reports every answer that departs from what its document says."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tools.readme_tour import Answer, Step, TourError, check, differences, parse_tour, run_tour

README = """\
# Title

<!-- tour -->
```bash
id() { python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'; }

# a comment
curl -s localhost:8000/healthz        # → 200 {"status": "ok"}
THING=$(curl -s -X POST localhost:8000/things -H "X-API-Key: $TTO" -d '{
  "name": "a # not a comment"
}' | id)
# → 201 {"name": "a"}
curl -s -H "X-API-Key: $TTO" localhost:8000/things/$THING \\
     -o thing.json
# → 200, as shown below
```

```json
{"id": 7, "tags": ["x"], "score": 0.5, "...": "..."}
```
"""


def test_parse_tour_joins_continued_and_quoted_lines_and_reads_each_expectation() -> None:
    steps = parse_tour(README)
    assert [(s.line, s.status) for s in steps] == [(5, None), (8, 200), (9, 201), (13, 200)]
    assert steps[2].code.endswith("}' | id)") and steps[2].code.count("\n") == 2
    assert [s.expected for s in steps[1:]] == [
        {"status": "ok"},
        {"name": "a"},
        {"id": 7, "tags": ["x"], "score": 0.5, "...": "..."},
    ]


def test_parse_tour_refuses_a_curl_command_without_an_expectation() -> None:
    with pytest.raises(TourError, match="README line 4: a curl command without"):
        parse_tour("<!-- tour -->\n```bash\n\ncurl -s localhost:8000/healthz\n```\n")


def test_differences_read_the_readme_as_a_subset_of_the_answer() -> None:
    expected = {"items": [{"id": 2, "...": "..."}], "score": 0.995, "version": "..."}
    actual = {"items": [{"id": 2, "x": 1}, {"id": 3}], "score": 0.9946, "version": "v9", "n": 1}
    assert differences(expected, actual) == []
    assert differences(expected, {**actual, "score": 0.9}) == [
        ".score: the tour says 0.995, the demo answered 0.9"
    ]
    assert differences({"total": 54, "ok": 1}, {"total": 54.0, "ok": True}) == [
        ".ok: the tour says 1, the demo answered true"
    ]
    assert differences({"total": 54}, {"total": 54.2}) == [
        ".total: the tour says 54, the demo answered 54.2"
    ]
    assert differences({"a": [1, 2]}, {"a": [1]}) == [".a: expected at least 2 items, got [1]"]
    assert differences({"a": 1}, {}) == [".a: missing"]


def test_check_reports_a_wrong_status_and_a_wrong_field_with_the_readme_line() -> None:
    steps = [Step(3, "curl -s x", 200, {"status": "ok"}), Step(4, "id() { :; }")]
    assert check(steps, [Answer(200, '{"status": "ok"}'), Answer(None, "")]) == []
    assert check(steps, [Answer(404, '{"status": "no"}'), Answer(None, "")]) == [
        "README line 3: curl -s x\n    status 404, README says 200\n"
        '    .status: the tour says "ok", the demo answered "no"'
    ]


class _Things(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._send(200, {"status": "ok"})
        elif self.path == "/things/7" and self.headers["X-API-Key"] == "k-tto":
            self._send(200, {"id": 7, "tags": ["x", "y"], "score": 0.501})
        else:
            self._send(404, {"detail": []})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._send(201, {"id": 7, "name": body["name"]})

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def things() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Things)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_run_tour_carries_captured_ids_and_keys_and_checks_every_answer(
    things: str, tmp_path: Path
) -> None:
    steps = parse_tour(README)
    answers = run_tour(steps, base=things, keys={"TTO": "k-tto"}, workdir=tmp_path)
    assert [a.status for a in answers[1:]] == [200, 201, 200]
    # The POST's name is "a # not a comment", not "a": one failure, at the README's line 9.
    assert check(steps, answers) == [
        'README line 9: THING=$(curl -s -X POST localhost:8000/things -H "X-API-Key: $TTO" -d \'{'
        '\n    .name: the tour says "a", the demo answered "a # not a comment"'
    ]
    assert json.loads((tmp_path / "thing.json").read_text())["id"] == 7  # -o wrote the file


def test_parse_tour_reads_every_block_of_a_document_and_names_the_document() -> None:
    doc = (
        "<!-- tour -->\n```bash\nA=$(curl -s localhost:8000/a)   # → 200\n```\n\n"
        "text\n\n<!-- tour -->\n```bash\ncurl -s localhost:8000/b/$A   # → 404, below\n```\n\n"
        '```json\n{"detail": []}\n```\n'
    )
    steps = parse_tour(doc, "docs/api.md")
    assert [(s.line, s.status, s.expected, s.source) for s in steps] == [
        (3, 200, None, "docs/api.md"),
        (10, 404, {"detail": []}, "docs/api.md"),
    ]
    assert check(steps, [Answer(200, ""), Answer(200, "{}")]) == [
        "docs/api.md line 10: curl -s localhost:8000/b/$A   # → 404, below\n"
        "    status 200, docs/api.md says 404\n    .detail: missing"
    ]


def test_parse_tour_names_the_document_without_a_marker() -> None:
    with pytest.raises(TourError, match="no <!-- tour --> marker in docs/api.md"):
        parse_tour("# API\n", "docs/api.md")
