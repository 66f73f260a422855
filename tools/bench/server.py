"""Step 3's server: uvicorn run on a free loopback port, and a keep-alive HTTP client to it."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.core.config import PROJECT_ROOT
from tools import children
from tools.bench.options import BenchError


@dataclass(frozen=True)
class _Server:
    pid: int
    port: int
    start_seconds: float
    log: Path

    def rss_mib(self) -> float:
        """Return the server's resident set size in MiB."""
        status = Path(f"/proc/{self.pid}/status").read_text(encoding="utf-8")
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        raise BenchError(f"no VmRSS in /proc/{self.pid}/status")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_server(
    *,
    database_url: str,
    index_dir: Path,
    embedding_model: str,
    catchup_seconds: float,
    log_path: Path,
    start_timeout: float,
) -> Iterator[_Server]:
    """Run `uvicorn app.main:create_app` on a free loopback port until the block ends."""
    port = _free_port()
    # The server reads its settings from its environment; the rest of ours passes through.
    env = dict(os.environ) | {
        "DATABASE_URL": database_url,
        "INDEX_DIR": str(index_dir),
        "EMBEDDING_MODEL": embedding_model,
        "CATCHUP_SECONDS": str(catchup_seconds),
        # The bench measures latency, not the per-key rate limit it would otherwise run into.
        "RATE_LIMIT_PER_SECOND": "0",
    }
    command = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    started = time.perf_counter()
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_ready(process, port, started + start_timeout, log_path)
            yield _Server(process.pid, port, round(time.perf_counter() - started, 2), log_path)
        finally:
            children.stop(process)


def _wait_ready(process: subprocess.Popen[bytes], port: int, deadline: float, log: Path) -> None:
    # The lifespan loads the catalogue before uvicorn accepts connections, so the first
    # answer from /readyz means the index is loaded.
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the server exited with {process.returncode}:\n{tail(log)}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.25)
    raise BenchError(f"the server was not ready within the time allowed:\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


class Client:
    """One keep-alive HTTP connection to the server, as a client library would hold."""

    def __init__(self, port: int, api_key: str) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self._api_key = api_key

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes, float]:
        """Send a request; return the status, the body and the milliseconds until it was read."""
        headers = {"X-API-Key": self._api_key}
        if body is not None:
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        self._connection.request(method, path, body=body, headers=headers)
        response = self._connection.getresponse()
        data = response.read()
        return response.status, data, (time.perf_counter() - started) * 1000

    def close(self) -> None:
        self._connection.close()
