"""The embedding step of the re-index: store a vector for every active listing that lacks one.

A listing needs embedding when no vector is stored for it under the running model, or the
stored vector's text hash differs from the hash of its current text. Work goes in batches,
each committed on its own, so a run killed half-way through a model change (an hour of work at
100k listings) resumes where it stopped: the next run finds the committed batches done.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.core.db import session_scope
from app.core.progress import progress_bar
from app.models import Listing, ListingEmbedding, ListingStatus
from app.search import embeddings
from matching.embedder import Embedder
from matching.text import content_hash, listing_text

log = logging.getLogger(__name__)

_STREAM = 2_000


@dataclass(frozen=True)
class EmbedReport:
    """What the embedding step found and did."""

    active: int
    embedded: int
    seconds: float


def stale_ids(
    session: Session, model_id: str, since: datetime | None = None
) -> tuple[int, list[int]]:
    """Return the number of active listings and the ids whose vector is missing or stale.

    A vector is missing when no row exists for the model; it is stale when its text hash
    differs from the listing's text. Texts are read only of listings changed at or after
    `since` (every text changes through a write that moves `updated_at`), or of all when
    `since` is None: hashing 100k abstracts costs half a minute, an unchanged night nothing.
    """
    vector = and_(ListingEmbedding.listing_id == Listing.id, ListingEmbedding.model_id == model_id)
    active = session.scalar(
        select(func.count()).select_from(Listing).where(Listing.status == ListingStatus.ACTIVE)
    )
    missing = set(
        session.scalars(
            select(Listing.id)
            .outerjoin(ListingEmbedding, vector)
            .where(Listing.status == ListingStatus.ACTIVE, ListingEmbedding.listing_id.is_(None))
        )
    )
    query = (
        select(
            Listing.id, Listing.title, Listing.abstract, Listing.claims, ListingEmbedding.text_hash
        )
        .join(ListingEmbedding, vector)
        .where(Listing.status == ListingStatus.ACTIVE)
        .execution_options(yield_per=_STREAM)
    )
    if since is not None:
        query = query.where(Listing.updated_at >= since)
    for row in session.execute(query):
        if row.text_hash != content_hash(listing_text(row.title, row.abstract, row.claims)):
            missing.add(row.id)
    return active or 0, sorted(missing)


def embed_stale(
    *,
    factory: sessionmaker[Session],
    embedder: Embedder,
    batch_size: int,
    progress: bool = False,
    since: datetime | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> EmbedReport:
    """Embed and store, batch by batch (each committed), every missing or stale vector."""
    started = time.perf_counter()
    with session_scope(factory) as session:
        active, stale = stale_ids(session, embedder.model_id, since)
    if stale:
        log.info(
            "embedding listings",
            extra={"model": embedder.model_id, "stale": len(stale), "active": active},
        )
    embedded = 0
    label = f"embedding ({embedder.model_id})"
    with progress_bar(len(stale), enabled=progress, desc=label) as advance:
        for start in range(0, len(stale), batch_size):
            chunk = stale[start : start + batch_size]
            with session_scope(factory) as session:
                listings = list(session.scalars(select(Listing).where(Listing.id.in_(chunk))))
                embedded += embeddings.embed_listings(
                    session=session, listings=listings, embedder=embedder
                )
            advance(len(chunk))
            if on_batch is not None:
                on_batch(embedded)
    seconds = round(time.perf_counter() - started, 3)
    if stale:
        log.info(
            "listings embedded",
            extra={"model": embedder.model_id, "embedded": embedded, "seconds": seconds},
        )
    return EmbedReport(active=active, embedded=embedded, seconds=seconds)
