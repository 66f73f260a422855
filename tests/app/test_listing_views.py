"""A listing's view in match results is reused while it is unchanged, and never served stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.models import Listing, ListingStatus, Organisation, OrganisationKind
from app.schemas import ListingCreate
from app.services import listings
from app.services.listing_views import ListingViews
from tests.factories import listing_payload

STAMP = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _listing(listing_id: int, title: str = "一种轴承故障诊断方法") -> Listing:
    holder = Organisation(
        id=7, name="测试大学", kind=OrganisationKind.UNIVERSITY, province="北京市"
    )
    listing = Listing(
        id=listing_id,
        organisation=holder,
        organisation_id=holder.id,
        status=ListingStatus.ACTIVE,
        version=1,
        created_at=STAMP,
        updated_at=STAMP,
    )
    listings.apply(listing, ListingCreate.model_validate(listing_payload(title=title)))
    return listing


def test_an_unchanged_listing_gets_the_same_view_and_a_changed_one_a_new_view() -> None:
    views = ListingViews()
    listing = _listing(1)
    first = views.of(listing)

    assert views.of(listing) is first
    assert first.read.title == "一种轴承故障诊断方法" and first.sentences
    assert first.text.startswith("一种轴承故障诊断方法")

    listing.title = "一种主轴冷却装置"
    listing.version, listing.updated_at = 2, STAMP + timedelta(minutes=1)
    assert views.of(listing).read.title == "一种主轴冷却装置"

    listing.organisation.name = "改名大学"  # the holder renamed: the listing itself unchanged
    assert views.of(listing).read.holder.name == "改名大学"


def test_views_are_bounded_least_recently_used_first() -> None:
    views = ListingViews(size=2)
    one, two, three = _listing(1), _listing(2), _listing(3)
    kept = views.of(one)
    views.of(two)
    views.of(one)  # one is now the most recent
    views.of(three)  # pushes out two

    assert len(views) == 2 and views.of(one) is kept
