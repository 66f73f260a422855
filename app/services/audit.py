"""The audit log: one row per write, added to the write's own transaction, read by operators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import ApiKey, AuditEntry, utcnow
from app.schemas import ImportReport
from app.services import paging as pages
from app.services.listings.edits import Versioned


@dataclass(frozen=True)
class AuditFilters:
    """Filters of the audit log; `None` means no filter on that field."""

    organisation_id: int | None = None
    api_key_id: int | None = None
    action: str | None = None
    entity_type: str | None = None
    entity_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def record(
    *,
    session: Session,
    key: ApiKey | None,
    action: str,
    entity_type: str,
    entity_id: int | None = None,
    detail: dict[str, Any] | None = None,
    organisation_id: int | None = None,
) -> AuditEntry:
    """Add an audit row for a write; the caller's commit stores it together with the write.

    `key` is None for writes made from the command line; `organisation_id` then names whose
    data changed.
    """
    entry = AuditEntry(
        at=utcnow(),
        api_key_id=key.id if key is not None else None,
        key_prefix=key.prefix if key is not None else None,
        organisation_id=key.organisation_id if key is not None else organisation_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        detail=detail or {},
    )
    session.add(entry)
    session.flush()
    return entry


def record_change(
    *,
    session: Session,
    key: ApiKey,
    action: str,
    entity_type: str,
    entity: Versioned,
    before: int,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an audit row for a write that moved `entity` past version `before`; a no-op adds none.

    The row's detail is `detail` followed by the entity's new version.
    """
    if entity.version == before:
        return
    record(
        session=session,
        key=key,
        action=action,
        entity_type=entity_type,
        entity_id=entity.id,
        detail={**(detail or {}), "version": entity.version},
    )


def record_import(
    *,
    session: Session,
    key: ApiKey | None,
    organisation_id: int,
    filename: str,
    report: ImportReport,
) -> AuditEntry:
    """Add the one audit row of a committed import: its counts, not one row per listing."""
    return record(
        session=session,
        key=key,
        organisation_id=organisation_id,
        action="import",
        entity_type="listing",
        detail={
            "filename": filename[:200],
            "format": report.format,
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": len(report.rejected),
            "all_or_nothing": report.all_or_nothing,
        },
    )


def list_page(
    *, session: Session, filters: AuditFilters, limit: int, offset: int
) -> tuple[list[AuditEntry], int]:
    """Return one page of audit rows, newest first, and how many pass the filters."""
    query = select(AuditEntry)
    if filters.organisation_id is not None:
        query = query.where(AuditEntry.organisation_id == filters.organisation_id)
    if filters.api_key_id is not None:
        query = query.where(AuditEntry.api_key_id == filters.api_key_id)
    if filters.action is not None:
        query = query.where(AuditEntry.action == filters.action)
    if filters.entity_type is not None:
        query = query.where(AuditEntry.entity_type == filters.entity_type)
    if filters.entity_id is not None:
        query = query.where(AuditEntry.entity_id == filters.entity_id)
    if filters.since is not None:
        query = query.where(AuditEntry.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEntry.at < filters.until)
    return pages.page(session, query, AuditEntry.id.desc(), limit=limit, offset=offset)
