"""The demo data loads cleanly through the import path, and loading it twice adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.jobs.demo import load_demo
from app.models import Demand, Listing, ListingStatus
from matching.embedder import HashingEmbedder


def test_demo_loads_every_listing_and_demand_without_rejections(session: Session) -> None:
    summary = load_demo(session=session, embedder=HashingEmbedder(64))
    assert summary.listings_rejected == 0
    assert summary.listings_created >= 40
    assert summary.demands_created >= 10
    industries = session.scalar(select(func.count(func.distinct(Listing.industry_code))))
    holders = session.scalar(select(func.count(func.distinct(Listing.organisation_id))))
    assert industries is not None and industries >= 8
    assert holders is not None and holders >= 5
    active = session.scalar(
        select(func.count()).select_from(Listing).where(Listing.status == ListingStatus.ACTIVE)
    )
    assert active == summary.listings_created


def test_loading_the_demo_twice_adds_nothing(session: Session) -> None:
    first = load_demo(session=session, embedder=HashingEmbedder(64))
    second = load_demo(session=session, embedder=HashingEmbedder(64))
    assert (second.listings_created, second.demands_created) == (0, 0)
    assert second.listings_unchanged == first.listings_created
    assert session.scalar(select(func.count()).select_from(Demand)) == first.demands_created
