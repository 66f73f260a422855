"""Map every error to HTTP in one place, in one JSON shape: {"detail": [{msg, type, loc}]}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import PatentBridgeError, Problem, TooManyRequests
from app.core.i18n import tr
from app.core.logs import request_id
from app.schemas import validation_problems

log = logging.getLogger(__name__)


# Messages quote the offending value; a huge value must not come back whole.
MAX_MESSAGE_CHARS = 500


def _shortened(problem: Problem) -> dict[str, object]:
    body = problem.as_dict()
    text = body["msg"]
    if isinstance(text, str) and len(text) > MAX_MESSAGE_CHARS:
        body["msg"] = text[: MAX_MESSAGE_CHARS - 1] + "…"
    return body


def error_response(status_code: int, problems: list[Problem]) -> JSONResponse:
    """Return the API's JSON error body for `problems`."""
    headers = {"WWW-Authenticate": "APIKey"} if status_code == 401 else None
    return JSONResponse(
        status_code=status_code,
        content={"detail": [_shortened(p) for p in problems]},
        headers=headers,
    )


def service_error_response(exc: PatentBridgeError) -> JSONResponse:
    """Return the API's answer to one of the service's own errors."""
    response = error_response(exc.status_code, exc.problems)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def _service_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PatentBridgeError)
    return service_error_response(exc)


async def _stale_write(request: Request, exc: Exception) -> JSONResponse:
    # Another request changed the row between this one's read and its write (the version
    # check in the UPDATE matched nothing): the same answer as a stale If-Match.
    log.info("stale write on %s %s: %s", request.method, request.url.path, exc)
    problem = Problem(
        msg=tr(
            "另一个请求同时修改了这条记录；请重新读取后再试",
            "this was changed by another request at the same time; reload it and try again",
        ),
        type="conflict",
    )
    return error_response(409, [problem])


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # The offending input is not echoed back: it may be large, or somebody else's secret.
    return error_response(422, validation_problems(exc.errors()))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    messages = {
        400: tr(
            "请求格式有误，无法解析；请检查请求体（JSON 或上传的文件）是否完整", str(exc.detail)
        ),
        404: tr("未找到：地址或对象不存在", "not found"),
        405: tr("此地址不支持该请求方法", "method not allowed"),
    }
    msg = messages.get(exc.status_code, str(exc.detail))
    response = error_response(exc.status_code, [Problem(msg=msg, type="http_error")])
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    response = error_response(
        500,
        [
            Problem(
                msg=tr("服务器内部错误，请稍后再试", "internal server error"), type="internal_error"
            )
        ],
    )
    # This response is built outside the request middleware, which adds the id to all others.
    current = request_id.get()
    if current is not None:
        response.headers["X-Request-ID"] = current
    return response


def install(app: FastAPI) -> None:
    """Register the error handlers on `app`."""
    app.add_exception_handler(PatentBridgeError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StaleDataError, _stale_write)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
