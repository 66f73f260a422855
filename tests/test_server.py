"""A real `patentbridge serve` answers a request it cannot parse in the API's JSON error shape."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from tests.processes.server import Server, database_url, fresh_database


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("server")
    url = database_url(tmp, "server.db")
    fresh_database(url).dispose()
    running = Server(url=url, index_dir=tmp / "index").start()
    yield running
    running.stop()


def _raw(server: Server, request: bytes) -> tuple[bytes, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = dict(line.decode().lower().split(": ", 1) for line in lines)
    return status, headers, body


@pytest.mark.parametrize(
    "request_bytes",
    [
        "GET /v1/listings?q=中 HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n",
    ],
    ids=["raw-utf8-in-request-line", "header-without-colon"],
)
def test_an_unparseable_request_gets_the_json_error_shape(
    server: Server, request_bytes: bytes
) -> None:
    status, headers, body = _raw(server, request_bytes)
    assert status == b"HTTP/1.1 400 Bad Request"
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    (problem,) = json.loads(body)["detail"]
    assert (problem["type"], problem["loc"]) == ("bad_request", [])
    assert "URL 编码" in problem["msg"]


def test_the_same_query_url_encoded_is_answered_by_the_application(server: Server) -> None:
    status, headers, body = _raw(
        server, b"GET /v1/listings?q=%E4%B8%AD HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == b"HTTP/1.1 401 Unauthorized"  # no key: the app, not the parser, refused it
    assert json.loads(body)["detail"][0]["type"] == "unauthenticated"
