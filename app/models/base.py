"""The declarative base: naming convention, UTC timestamps, random ids, enum columns."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Enum, MetaData, TypeDecorator, select
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(UTC)


# Ids are 32-bit integers in the database (app.schemas.MAX_ID checks them on input).
MAX_ROW_ID = 2**31 - 1


def random_id(context: DefaultExecutionContext) -> int:
    """Return an unused random id for the row being inserted.

    For records whose number is private (demands, alerts): a sequence would let an SME count
    everybody's demands, or everybody's alerts, from the gaps between its own ids. Two inserts
    picking the same new id at the same moment (about 1 in 2**31) fail on the primary key and
    are answered as an error, not merged.
    """
    column = context.current_column
    while True:
        candidate = secrets.randbelow(MAX_ROW_ID) + 1
        if context.connection.scalar(select(column).where(column == candidate)) is None:
            return candidate


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone, so values come back naive; this restores UTC on the way out so that
    comparisons and JSON output are the same on both databases.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def enum_column(cls: type[enum.Enum], name: str) -> Enum:
    """Return the column type of an enum, stored as its values."""
    # Stored as plain strings with a named CHECK constraint: portable between SQLite and
    # PostgreSQL, and adding a value is a constraint change rather than an ALTER TYPE.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
