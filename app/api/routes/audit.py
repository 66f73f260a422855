"""The audit log over HTTP: operators read who wrote what, and when."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import OperatorKey, SessionDep
from app.schemas import AuditRead, Page
from app.services import audit

router = APIRouter(prefix="/audit", tags=["operations"])

_MAX_ID = 2**31 - 1


def _utc(moment: datetime | None) -> datetime | None:
    # A time without a zone is taken as UTC, the zone every stored time is in.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@router.get("")
def read_audit_log(
    _key: OperatorKey,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    organisation_id: Annotated[int | None, Query(ge=1, le=_MAX_ID)] = None,
    api_key_id: Annotated[int | None, Query(ge=1, le=_MAX_ID)] = None,
    action: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_.]+$")] = None,
    entity_type: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_.]+$")] = None,
    entity_id: Annotated[int | None, Query(ge=1, le=_MAX_ID)] = None,
    since: Annotated[
        datetime | None, Query(description="from this time on (UTC if no zone)")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="before this time (UTC if no zone)")
    ] = None,
) -> Page[AuditRead]:
    """List audit rows, newest first, filtered by organisation, key, action, entity or time."""
    filters = audit.AuditFilters(
        organisation_id=organisation_id,
        api_key_id=api_key_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        since=_utc(since),
        until=_utc(until),
    )
    rows, total = audit.list_page(session=session, filters=filters, limit=limit, offset=offset)
    return Page(
        items=[AuditRead.model_validate(row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )
