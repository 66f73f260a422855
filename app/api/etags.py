"""ETags of versioned records, and the `If-Match` header that names the version an edit expects."""

from __future__ import annotations

import re
from typing import Final

from app.core.errors import InvalidInput
from app.core.i18n import tr

# ASCII digits only (`str.isdigit` also accepts "²", which `int` refuses), and few enough that
# the version fits the database's 32-bit column and `int` never meets its digit limit.
_VERSION: Final = re.compile(r"[0-9]{1,10}")
_MAX_VERSION: Final = 2**31 - 1


def etag(version: int) -> str:
    """Return the ETag of a record at `version`."""
    return f'"{version}"'


def parse_if_match(if_match: str | None) -> int | None:
    """Return the version an `If-Match` header names, or None when it is absent."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if _VERSION.fullmatch(value) is None or int(value) > _MAX_VERSION:
        raise InvalidInput(
            tr(
                'If-Match 应为当前版本的 ETag，例如 "3"（先读取记录，再原样发回其 ETag 头）',
                'If-Match must be the ETag of the current version, such as "3" '
                "(read the record first and send its ETag header back unchanged)",
            ),
            loc=("header", "If-Match"),
        )
    return int(value)
