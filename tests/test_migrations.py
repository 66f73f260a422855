"""Migrations run from an empty database, down again, and match the models."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from app.core.db import create_db_engine
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


def test_removing_a_demands_annual_sales_keeps_the_demand_and_its_vector(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0008")
    engine = create_db_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organisations (id, name, kind, created_at) "
                "VALUES (1, '某公司', 'enterprise', '2026-12-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO demands (id, organisation_id, title, description, budget_yuan, "
                "annual_sales_yuan, visibility, status, content_hash, version, created_at, "
                "updated_at) VALUES (7, 1, '需求', '描述', 500000, 20000000, 'private', 'open', "
                "'h', 1, '2026-12-01 00:00:00', '2026-12-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO demand_embeddings (demand_id, model_id, text_hash, dimension, "
                "vector, created_at) VALUES (7, 'm', 'h', 1, x'00000000', '2026-12-01 00:00:00')"
            )
        )
    command.downgrade(config, "0007")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, budget_yuan FROM demands")).all() == [(7, 500000)]
        assert conn.execute(text("SELECT demand_id FROM demand_embeddings")).all() == [(7,)]
        columns = {c["name"] for c in inspect(conn).get_columns("demands")}
    assert "annual_sales_yuan" not in columns
    engine.dispose()
