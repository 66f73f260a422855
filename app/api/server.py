"""The HTTP server behind `patentbridge serve` and `patentbridge demo`: uvicorn on h11.

A request that cannot be parsed at all (raw non-ASCII bytes in the request line, a broken
header) never reaches the application; uvicorn answers it with a plain-text 400 of its own.
`JsonErrorH11Protocol` answers it in the API's one JSON error shape instead. Its language is
the default one: the request's `Accept-Language` header could not be read.
"""

from __future__ import annotations

import json
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.core.errors import Problem
from app.core.i18n import tr

BAD_REQUEST = Problem(
    msg=tr(
        "无法解析的 HTTP 请求：地址中的中文等非 ASCII 字符须先做 URL 编码"
        "（例如 curl -G --data-urlencode 'q=中文'），请求头须符合 HTTP 格式",
        "the HTTP request could not be parsed: URL-encode Chinese and other non-ASCII characters"
        " in the address (e.g. curl -G --data-urlencode 'q=...') and send well-formed headers",
    ),
    type="bad_request",
)


class JsonErrorH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering an unparseable request with the API's JSON 400."""

    def send_400_response(self, msg: str) -> None:
        body = json.dumps({"detail": [BAD_REQUEST.as_dict()]}, ensure_ascii=False).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-language", b"zh"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()


def run(*, host: str, port: int, **options: Any) -> None:
    """Serve the application with uvicorn on the JSON-error h11 protocol."""
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        http="app.api.server:JsonErrorH11Protocol",
        **options,
    )
