"""One page of a query's rows together with how many rows the whole query has."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


def page(
    session: Session,
    query: Select[T],
    *order_by: ColumnElement[Any],
    limit: int,
    offset: int,
) -> tuple[list[T], int]:
    """Return the rows of `query` in `order_by` order from `offset` on, and the query's total."""
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(*order_by).limit(limit).offset(offset))
    return list(rows), total
