"""The shipped royalty tables, and an imported source, shared by the royalty tests."""

from __future__ import annotations

from pathlib import Path

from matching.royalty import Source, load_tables

DATA_DIR = Path(__file__).resolve().parents[3] / "data" / "royalty"
TABLES = load_tables(DATA_DIR)


def imported_source(source_id: str = "import-1") -> Source:
    return Source(
        source_id, "test table", "CNIPA, imported", "2024", "国知办函运字〔2024〕1070号", "x"
    )
