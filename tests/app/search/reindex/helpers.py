"""Helpers for the re-index tests: listings written as the API writes them, and a job runner."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.models import Listing, ListingEmbedding, Organisation
from app.schemas import ListingCreate
from app.search import embeddings
from app.search.reindex import run as reindex
from app.services.listings import service as listings
from matching.embedder import Embedder, HashingEmbedder
from matching.text import Tokenizer
from tests.factories import listing_payload

TOKENIZER = Tokenizer()


def add_listing(
    session: Session,
    organisation: Organisation,
    *,
    embedder: Embedder | None = None,
    **overrides: Any,
) -> Listing:
    """Create a listing through the service and store its vector (unless embedder is None)."""
    data = ListingCreate.model_validate(listing_payload(**overrides))
    listing = listings.create(session=session, organisation=organisation, data=data)
    if embedder is not None:
        embeddings.embed_listings(session=session, listings=[listing], embedder=embedder)
    session.commit()
    return listing


def add_listings(session: Session, organisation: Organisation, n: int) -> list[Listing]:
    """Create n listings with distinct texts and vectors under hash-64."""
    topics = ["轴承故障诊断", "锂电池极片涂布", "污水生物脱氮", "光纤传感器", "齿轮箱裂纹监测"]
    return [
        add_listing(
            session,
            organisation,
            embedder=HashingEmbedder(64),
            title=f"一种{topics[i % len(topics)]}方法（{i}）",
            abstract=f"本发明公开了一种{topics[i % len(topics)]}的方法，编号{i}，"
            "采集信号并提取特征，适用于工业现场。",
        )
        for i in range(n)
    ]


def run_job(
    settings: Settings,
    factory: sessionmaker[Session],
    *,
    embedder: Embedder | None = None,
    **options: Any,
) -> reindex.ReindexResult:
    """Run the re-index with the test embedder and tokenizer and no alerts hook."""
    options.setdefault("after_switch", None)
    return reindex.run(
        settings=settings,
        factory=factory,
        embedder=embedder or HashingEmbedder(64),
        tokenizer=TOKENIZER,
        **options,
    )


def vectors_stored(session: Session, model_id: str) -> int:
    """Return how many listing vectors are stored under a model."""
    return (
        session.scalar(
            select(func.count())
            .select_from(ListingEmbedding)
            .where(ListingEmbedding.model_id == model_id)
        )
        or 0
    )


def backdate(session: Session, listing_id: int, **values: Any) -> None:
    """Set columns of a listing directly, as time passing would (no version bump)."""
    session.execute(update(Listing).where(Listing.id == listing_id).values(**values))
    session.commit()


def days_ago(years: int) -> datetime:
    """Return a UTC timestamp about `years` years before today."""
    today = date.today()
    return datetime(today.year - years, today.month, min(today.day, 28), tzinfo=UTC)
