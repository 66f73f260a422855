"""Migrations run from an empty database, down again, and match the models."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.db import create_db_engine
from app.jobs.migrate import alembic_config
from app.models import Base


def test_migrations_upgrade_downgrade_and_leave_no_drift(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = create_db_engine(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        unique = inspect(conn).get_unique_constraints("listings")
    assert [c["name"] for c in unique] == ["uq_listings_patent_number"]
    engine.dispose()
