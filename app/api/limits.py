"""Request-size limits: which body limit a route has, and the error for a body over it."""

from __future__ import annotations

from typing import Final

from app.core.errors import PayloadTooLarge
from app.core.i18n import tr

# The only route that takes a file; every other body is JSON and gets the small limit.
UPLOAD_ROUTES: Final = frozenset({("POST", "/v1/listings/import")})
# Multipart framing (boundaries, part headers) on top of the file itself.
MULTIPART_OVERHEAD: Final = 64 * 1024


def body_limit(method: str, template: str | None, *, json_limit: int, upload_limit: int) -> int:
    """Return the largest body, in bytes, that `method` on the route `template` may send."""
    return upload_limit + MULTIPART_OVERHEAD if (method, template) in UPLOAD_ROUTES else json_limit


def too_large(limit: int) -> PayloadTooLarge:
    """Return the error for a request body over `limit` bytes."""
    return PayloadTooLarge(
        tr(
            "请求体超过上限 {kb} KB：请缩小后再发送",
            "request body is larger than the limit of {kb} KB",
            kb=limit // 1024,
        ),
        loc=("body",),
    )
