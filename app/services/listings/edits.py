"""Rules that every versioned record (a listing, a demand) follows when it is edited.

An edit may name the version it was made against (optimistic locking); the stored fields and
the patch are merged and validated whole; a content hash tells a real change from a no-op.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from app.core.errors import Conflict, InvalidInput
from app.core.i18n import Localized, tr
from app.schemas import validation_problems

M = TypeVar("M", bound=BaseModel)


class Versioned(Protocol):
    """A stored record whose `version` goes up by one with every real change."""

    @property
    def id(self) -> int: ...

    @property
    def version(self) -> int: ...


def content_hash(data: BaseModel) -> str:
    """Return a stable hash of a record's declared fields."""
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def require_version(record: Versioned, expected: int | None, *, noun: Localized) -> None:
    """Raise Conflict when an edit names a version other than the stored one (None names none)."""
    if expected is not None and expected != record.version:
        raise Conflict(
            tr(
                "{noun} {id} 当前是第 {version} 版，而 If-Match 写的是第 {expected} 版；"
                "请重新读取最新内容后再修改",
                "{noun} {id} is at version {version}, not {expected}: "
                "reload it and apply your edit again",
                noun=noun,
                id=record.id,
                version=record.version,
                expected=expected,
            ),
            loc=("header", "If-Match"),
        )


def validated(schema: type[M], fields: dict[str, Any]) -> M:
    """Return the merged fields of an edit as `schema`, or raise InvalidInput on the body."""
    try:
        return schema.model_validate(fields)
    except ValidationError as exc:
        raise InvalidInput.of(validation_problems(exc.errors(), ("body",))) from exc
