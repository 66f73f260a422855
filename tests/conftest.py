"""Test fixtures: a migrated database (SQLite or PostgreSQL), one rolled-back transaction per test.

The database is chosen by `TEST_DATABASE_URL`; without it the tests use a fresh SQLite file.
`scripts/test` runs the whole suite once per database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.db import create_db_engine
from app.jobs.migrate import alembic_config
from app.main import create_app
from matching.embedder import HashingEmbedder
from tests.factories import Actors, make_actors

# Plumbing tests use a deterministic test double; tests marked `model` load the real model.
TEST_EMBEDDER = "hash-64"


def pytest_report_header() -> str:
    return f"database: {_database_url_label()}"


def _database_url_label() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    return url.split("@")[-1] if url else "sqlite (temporary file)"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Start from an empty schema so that the migrations themselves are under test.
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    with engine.begin() as conn:
        command.upgrade(alembic_config(connection=conn), "head")
    yield engine
    engine.dispose()


@pytest.fixture()
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture()
def session_factory(connection: Connection) -> sessionmaker[Session]:
    # Every commit in the code under test releases a SAVEPOINT inside the test's transaction,
    # which the test rolls back at the end: tests never see each other's rows.
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture()
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture()
def settings(tmp_path: Path, database_url: str) -> Settings:
    # No catch-up thread: every test shares one connection, which a second thread must not use.
    return Settings(
        database_url=database_url,
        index_dir=tmp_path / "index",
        embedding_model=TEST_EMBEDDER,
        catchup_seconds=0,
    )


@pytest.fixture()
def client(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    app = create_app(settings, session_factory=session_factory, embedder=HashingEmbedder(64))
    # Assertions on messages read their English side; the Chinese default is tested with a
    # client that sends no Accept-Language (tests/app/test_language.py).
    with TestClient(
        app, raise_server_exceptions=False, headers={"Accept-Language": "en"}
    ) as test_client:
        yield test_client


@pytest.fixture()
def actors(session: Session) -> Actors:
    actors = make_actors(session)
    session.commit()
    return actors
