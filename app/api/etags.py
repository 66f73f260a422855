"""ETags of versioned records, and the `If-Match` header that names the version an edit expects."""

from __future__ import annotations

from app.errors import InvalidInput


def etag(version: int) -> str:
    """Return the ETag of a record at `version`."""
    return f'"{version}"'


def parse_if_match(if_match: str | None) -> int | None:
    """Return the version an `If-Match` header names, or None when it is absent."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise InvalidInput(
            'If-Match must be the ETag of the current version, such as "3"',
            loc=("header", "If-Match"),
        )
    return int(value)
