"""The language of each request's human-facing text, from its `Accept-Language` header."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.i18n import choose_language, set_language

_ACCEPT_LANGUAGE = b"accept-language"


class RequestLanguage:
    """Make the caller's preferred language (zh or en, zh by default) current for the request.

    The language is set, not reset, on purpose: each request runs in its own task, and the
    outermost error handler, which answers an unexpected error after this middleware has
    returned, must still speak the caller's language.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope["headers"] if k == _ACCEPT_LANGUAGE), b"")
        language = choose_language(header.decode("latin-1"))
        set_language(language)
        extra = [(b"content-language", language.encode()), (b"vary", b"Accept-Language")]

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_language)
