"""One row of the audit log, as the operations API returns it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditRead(BaseModel):
    """One audit row: who (key and organisation), what (action on an entity), when."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    api_key_id: int | None
    key_prefix: str | None
    organisation_id: int | None
    action: str
    entity_type: str
    entity_id: int | None
    detail: dict[str, Any]
