"""The after-re-index hook: what it receives, and how the job calls it.

The entry point that starts a re-index (the CLI, the cron script, the API's background
rebuild) passes the hook in; the alerts' `record_after_reindex` is the one they pass, so the
search layer never names a service. The job calls it in its own transaction, after the new
snapshot is live and recorded. A failing hook is logged and does not undo the switch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

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


class AfterSwitch(Protocol):
    """A hook called once a new snapshot is live: `alerts.service.record_after_reindex`."""

    def __call__(self, *, session: Session, outcome: ReindexOutcome) -> object: ...


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
    """Return the ids the previous snapshot held and the new one no longer does."""
    if previous is None:
        return []
    return [int(i) for i in previous.ids[~np.isin(previous.ids, plan.ids)]]


def call(
    hook: AfterSwitch,
    factory: sessionmaker[Session],
    outcome: ReindexOutcome,
) -> None:
    # The new snapshot is already live and recorded; a failing hook must not undo that.
    try:
        with session_scope(factory) as session:
            hook(session=session, outcome=outcome)
    except Exception:
        log.exception("after-re-index hook failed", extra={"version": outcome.version_id})
