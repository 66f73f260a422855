"""Map every error to HTTP in one place, in one JSON shape: {"detail": [{msg, type, loc}]}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import PatentBridgeError, Problem
from app.schemas import validation_problems

log = logging.getLogger(__name__)


def error_response(status_code: int, problems: list[Problem]) -> JSONResponse:
    """Return the API's JSON error body for `problems`."""
    headers = {"WWW-Authenticate": "APIKey"} if status_code == 401 else None
    return JSONResponse(
        status_code=status_code,
        content={"detail": [p.as_dict() for p in problems]},
        headers=headers,
    )


async def _service_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PatentBridgeError)
    return error_response(exc.status_code, exc.problems)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # The offending input is not echoed back: it may be large, or somebody else's secret.
    return error_response(422, validation_problems(exc.errors()))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    messages = {404: "not found", 405: "method not allowed"}
    msg = messages.get(exc.status_code, str(exc.detail))
    response = error_response(exc.status_code, [Problem(msg=msg, type="http_error")])
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, [Problem(msg="internal server error", type="internal_error")])


def install(app: FastAPI) -> None:
    """Register the error handlers on `app`."""
    app.add_exception_handler(PatentBridgeError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
