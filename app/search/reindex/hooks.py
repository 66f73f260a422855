"""The after-re-index hook: what it receives, and how the job finds and calls it.

By default the job calls `record_after_reindex(session=..., outcome=...)` of
`app.services.alerts.service` when that module provides it, in its own transaction, after
the new snapshot is live and recorded. A failing hook is logged and does not undo the switch.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from app.core.db import session_scope
from app.search.documents import Documents
from app.search.reindex.build import Plan
from matching.embedder import Embedder
from matching.index import VectorIndex
from matching.lexical import LexicalIndex
from matching.text import Tokenizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReindexOutcome:
    """What the after-re-index hook receives: the new snapshot and what changed in it."""

    version_id: int
    snapshot: str
    index: VectorIndex
    lexical: LexicalIndex
    changed_ids: list[int]
    removed_ids: list[int]
    embedder: Embedder
    tokenizer: Tokenizer


def changed_ids(plan: Plan, previous: Documents | None) -> list[int]:
    """Return the ids that are new or at another version than in the previous snapshot."""
    if previous is None:
        return [int(i) for i in plan.ids]
    position = np.searchsorted(previous.ids, plan.ids).clip(max=max(len(previous) - 1, 0))
    same = (
        (previous.ids[position] == plan.ids) & (previous.versions[position] == plan.versions)
        if len(previous)
        else np.zeros(len(plan), dtype=np.bool_)
    )
    return [int(i) for i in plan.ids[~same]]


def removed_ids(plan: Plan, previous: Documents | None) -> list[int]:
    if previous is None:
        return []
    return [int(i) for i in previous.ids[~np.isin(previous.ids, plan.ids)]]


def alerts_hook() -> Callable[[Session, ReindexOutcome], None] | None:
    """Return `app.services.alerts.service.record_after_reindex` when that module provides it."""
    try:
        module = importlib.import_module("app.services.alerts.service")
    except ModuleNotFoundError:
        return None
    hook = getattr(module, "record_after_reindex", None)
    if hook is None:
        return None

    def call(session: Session, outcome: ReindexOutcome) -> None:
        hook(session=session, outcome=outcome)

    return call


def call(
    hook: Callable[[Session, ReindexOutcome], None],
    factory: sessionmaker[Session],
    outcome: ReindexOutcome,
) -> None:
    # The new snapshot is already live and recorded; a failing hook must not undo that.
    try:
        with session_scope(factory) as session:
            hook(session, outcome)
    except Exception:
        log.exception("after-re-index hook failed", extra={"version": outcome.version_id})
