"""docs/imports.md shows the header table the import really uses."""

from __future__ import annotations

from pathlib import Path

from app.ingest.headers import FIELDS, HEADER_ALIASES, UNSTORED_HEADERS

DOC = Path(__file__).resolve().parents[3] / "docs" / "imports.md"


def test_the_documented_headers_are_the_aliases_of_each_field() -> None:
    text = DOC.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `")]

    assert rows == [f"| `{f}` | {', '.join(HEADER_ALIASES[f])} |" for f in FIELDS]
    assert ", ".join(UNSTORED_HEADERS) in text
