"""Operational figures read from the database for /metrics: re-index, embedding queue, alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from app.models import (
    AlertRun,
    IndexVersion,
    IndexVersionStatus,
    Listing,
    ListingEmbedding,
    ListingStatus,
)

# A run that built a snapshot, or found nothing to change, stays a success when its snapshot
# is later deleted by retention (`retired`).
_SUCCEEDED = (IndexVersionStatus.READY, IndexVersionStatus.RETIRED)


def last_reindex_at(*, session: Session) -> datetime | None:
    """Return when the newest successful re-index finished, or None if none ever did."""
    return session.scalar(
        select(func.max(IndexVersion.finished_at)).where(IndexVersion.status.in_(_SUCCEEDED))
    )


def embedding_queue_length(*, session: Session, model_id: str) -> int:
    """Return how many active listings have no stored vector of `model_id` yet.

    A listing whose only vector comes from another model counts: it waits for re-embedding.
    """
    has_vector = exists().where(
        ListingEmbedding.listing_id == Listing.id, ListingEmbedding.model_id == model_id
    )
    query = select(func.count(Listing.id)).where(
        Listing.status == ListingStatus.ACTIVE, ~has_vector
    )
    return session.scalar(query) or 0


def last_alert_run_at(*, session: Session) -> datetime | None:
    """Return when the newest alerts run finished, or None."""
    return session.scalar(select(func.max(AlertRun.finished_at)))
