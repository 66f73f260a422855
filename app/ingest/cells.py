"""Spreadsheet formula injection: neutralise text cells on export, undo it on import.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a
formula by Excel and LibreOffice (`=cmd|' /C calc'!A0`). Stored listings keep such text
verbatim; an export prefixes it with `'`, which spreadsheets show as text. An import removes
exactly that one prefix again, so an exported file imported back changes nothing. Leading
apostrophes are counted past, so text that really starts with `'=` survives the round trip.
"""

from __future__ import annotations

from typing import Final

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def _looks_like_formula(text: str) -> bool:
    return text.lstrip("'").startswith(FORMULA_STARTS)


def neutralise(text: str) -> str:
    """Return `text` as a cell that no spreadsheet runs as a formula."""
    return "'" + text if _looks_like_formula(text) else text


def restore(text: str) -> str:
    """Return the text a `neutralise`d cell stood for; other text is returned unchanged."""
    if text.startswith("'") and _looks_like_formula(text):
        return text[1:]
    return text
