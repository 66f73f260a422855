"""The request observer: request id, one access-log line and HTTP metrics per request.

A plain ASGI middleware rather than Starlette's `BaseHTTPMiddleware`, which would copy every
response through a second task; this one only wraps `send`. Nearly all of its cost is the JSON
access line, written after the response has gone (`scripts/observer_overhead.py` measures it).
"""

from __future__ import annotations

import logging
import os
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.metrics import UNMATCHED, HttpMetrics
from app.api.router import RouteTemplates
from app.core.logs import request_id

access_log = logging.getLogger("app.access")

HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode()
# A caller's id is kept only when it is short and cannot forge log lines or headers.
_SAFE_ID = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
# `pb_<prefix>_<secret>` (app/services/keys.py): only the public prefix is ever logged.
_KEY_PREFIX = re.compile(rb"pb_([0-9a-f]{12})_")


class RequestObserver:
    """Give every request an id, log it once, and time it by route template."""

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics, templates: RouteTemplates) -> None:
        self.app = app
        self.metrics = metrics
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        presented_id: bytes | None = None
        presented_key: bytes | None = None
        for name, value in scope["headers"]:
            if name == _HEADER_KEY:
                presented_id = value
            elif name == b"x-api-key":
                presented_key = value
        rid = (
            presented_id.decode()
            if presented_id is not None and _SAFE_ID.fullmatch(presented_id)
            else os.urandom(16).hex()
        )
        token = request_id.set(rid)
        header = (_HEADER_KEY, rid.encode())
        status_code = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # 500 unless a response had started; the id stays set, so that the outer error
            # handler logs the traceback under it.
            self._finish(scope, status_code, started, presented_key)
            raise
        self._finish(scope, status_code, started, presented_key)
        request_id.reset(token)

    def _finish(self, scope: Scope, status_code: int, started: float, key: bytes | None) -> None:
        seconds = time.perf_counter() - started
        route = self.templates.of(scope.get("route")) or UNMATCHED
        method = scope["method"]
        self.metrics.observe(method, route, status_code, seconds)
        prefix = None
        if key is not None:
            found = _KEY_PREFIX.match(key)
            prefix = found.group(1).decode() if found else "malformed"
        if not access_log.isEnabledFor(logging.INFO):
            return
        # Built directly: `Logger.info` would walk the stack for a caller nobody reads here,
        # a third of the cost of the line.
        record = access_log.makeRecord(
            access_log.name,
            logging.INFO,
            __file__,
            0,
            "%s %s %d",
            (method, route, status_code),
            None,
            extra={
                "method": method,
                "route": route,
                "status": status_code,
                "duration_ms": round(seconds * 1000, 2),
                "key_prefix": prefix,
            },
        )
        access_log.handle(record)
