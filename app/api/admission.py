"""Admission: nothing reads a request's body before its key and its size are checked.

FastAPI reads and parses a body before it solves the route's dependencies, so a key checked
only by a dependency (`deps.gate`) would let a stranger make the server read and parse a large
body first. This middleware hands the application a `receive` that, on its first call (the
router has chosen the route by then, and nothing has been read), checks the caller's key with
`deps.admit` and the declared size against the route's limit (`limits.body_limit`), and then
counts the body as it arrives. A request whose body is never read (a GET) is checked by
`deps.gate`, through the same `admit`, once.

A refusal raised inside `receive` reaches FastAPI, which would answer any error while reading
a body with a 400; so the refusal replaces whatever response the application then starts.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.deps import admit, is_admitted, needs_key
from app.api.errors import service_error_response
from app.api.limits import body_limit, too_large
from app.api.router import RouteTemplates
from app.core.errors import PatentBridgeError


class _Refused(Exception):
    """The request was refused while the application asked for its body."""


class Admission:
    """Check the key and the size of a request before the application reads its body."""

    def __init__(
        self, app: ASGIApp, *, json_limit: int, upload_limit: int, templates: RouteTemplates
    ) -> None:
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit: int | None = None  # set on the first read, once the route is known
        received = 0
        # What refused the request: one of ours becomes its answer; anything else (the
        # database is down) is re-raised outside FastAPI's body handling, to become a 500.
        refusal: Exception | None = None
        started = False

        def refuse(error: Exception) -> _Refused:
            nonlocal refusal
            refusal = error
            return _Refused()

        async def admitted_receive() -> Message:
            nonlocal limit, received
            if refusal is not None:
                raise _Refused
            if limit is None:
                route = scope.get("route")
                if needs_key(route) and not is_admitted(scope):
                    try:
                        await run_in_threadpool(admit, scope)
                    except Exception as exc:  # noqa: BLE001 - answered or re-raised below
                        raise refuse(exc) from None
                limit = body_limit(
                    scope["method"],
                    self.templates.of(route),
                    json_limit=self.json_limit,
                    upload_limit=self.upload_limit,
                )
                declared = dict(scope["headers"]).get(b"content-length")
                if declared is not None and (not declared.isdigit() or int(declared) > limit):
                    raise refuse(too_large(limit))
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # a chunked body, or one longer than it declared
                    raise refuse(too_large(limit))
            return message

        async def refusing_send(message: Message) -> None:
            nonlocal started
            if refusal is not None:
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await answer(refusal)
                return  # the application's own answer to a refused body goes nowhere
            started = started or message["type"] == "http.response.start"
            await send(message)

        async def answer(error: Exception) -> None:
            if not isinstance(error, PatentBridgeError):
                raise error
            await service_error_response(error)(scope, receive, send)

        try:
            await self.app(scope, admitted_receive, refusing_send)
        except _Refused:
            if started or refusal is None:
                raise
            started = True
            await answer(refusal)
