"""A real `patentbridge serve` on loopback for process tests: start, provision, kill, restart.

The database is `TEST_PROCESS_DATABASE_URL` (PostgreSQL in CI's second run) or a fresh SQLite
file; it is emptied and migrated first, so the tests see exactly what they wrote.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine, text

from app.core.db import create_db_engine, make_session_factory, session_scope
from app.jobs import migrate
from app.models import OrganisationKind, Role
from app.services import keys, organisations

READY_SECONDS = 90.0


def database_url(tmp_path: Path, name: str) -> str:
    """Return the process-test database URL, or a SQLite file under `tmp_path`."""
    return os.environ.get("TEST_PROCESS_DATABASE_URL") or f"sqlite:///{tmp_path / name}"


def fresh_database(url: str) -> Engine:
    """Empty and migrate the database at `url`; return an engine on it."""
    engine = create_db_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(url)
    return engine


def issue_keys(engine: Engine, org: str, role: Role, count: int) -> list[str]:
    """Create `count` keys of `role` for organisation `org` (created if new)."""
    kind = OrganisationKind.UNIVERSITY if role is Role.TTO else OrganisationKind.ENTERPRISE
    if role is Role.OPERATOR:
        kind = OrganisationKind.PLATFORM
    with session_scope(make_session_factory(engine)) as session:
        owner = organisations.ensure(session=session, name=org, kind=kind)
        return [
            keys.create(session=session, organisation=owner, role=role).plaintext
            for _ in range(count)
        ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One running server and how to start it again."""

    url: str
    index_dir: Path
    workers: int = 1
    env_extra: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        """Start the server and wait until every worker answers."""
        env = os.environ | {
            "DATABASE_URL": self.url,
            "INDEX_DIR": str(self.index_dir),
            "EMBEDDING_MODEL": "hash-64",
            "CATCHUP_SECONDS": "0.5",
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT_PER_SECOND": "0",
        }
        # A file, not a pipe: a pipe nobody reads fills up and blocks the server.
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "patentbridge"), "serve"]
                + ["--port", str(self.port), "--workers", str(self.workers)],
                env=env | self.env_extra,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + READY_SECONDS
        ready = 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log()[-3000:]}")
            try:
                # Every worker must be up: several fresh connections in a row must succeed.
                if httpx.get(self.base + "/readyz", timeout=2).status_code == 200:
                    ready += 1
                    if ready >= 3 * self.workers:
                        return
            except httpx.HTTPError:
                ready = 0
            time.sleep(0.2)
        raise RuntimeError("server did not become ready")

    @property
    def log_path(self) -> Path:
        return self.index_dir.parent / f"server-{self.port}.log"

    def log(self) -> str:
        """Return what the server wrote to stderr so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def unhandled_errors(self) -> list[str]:
        """Return the log lines of errors that became a 500."""
        return [line for line in self.log().splitlines() if "unhandled error" in line]

    def kill(self) -> None:
        """Kill the server with SIGKILL, as a crash or the OOM killer would."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        """Stop the server politely, or kill it."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)
