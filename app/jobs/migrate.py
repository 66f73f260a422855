"""Bring a database schema to the newest migration."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from app.core.config import PROJECT_ROOT


def alembic_config(database_url: str | None = None, connection: Connection | None = None) -> Config:
    """Return the project's Alembic configuration aimed at a URL or an open connection."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    if database_url is not None:
        config.attributes["database_url"] = database_url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(database_url: str) -> None:
    """Apply every migration not yet applied to the database at `database_url`."""
    command.upgrade(alembic_config(database_url), "head")
