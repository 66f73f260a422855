"""A listing's view in match results is reused while it is unchanged, and never served stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.models import Listing, ListingStatus, Organisation, OrganisationKind
from app.schemas import ListingCreate
from app.services import organisations
from app.services.listings import service as listings
from app.services.listings.views import ListingViews
from tests.factories import listing_payload, patent_number

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


def test_active_reads_whole_rows_only_for_views_not_kept_and_leaves_out_inactive_listings(
    session: Session,
) -> None:
    holder = organisations.ensure(
        session=session, name="视图大学", kind=OrganisationKind.UNIVERSITY, province="浙江省"
    )
    made = [
        listings.create(
            session=session,
            organisation=holder,
            data=ListingCreate.model_validate(
                listing_payload(title=f"一种测试装置{n}", patent_number=patent_number(serial=n))
            ),
        )
        for n in (1, 2, 3)
    ]
    session.flush()
    ids = [listing.id for listing in made]
    views = ListingViews()
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(session.get_bind(), "before_cursor_execute", record)
    try:
        first = views.active(session, ids)
        assert sorted(first) == ids
        assert sum("listings.claims" in s for s in statements) == 1  # whole rows, once
        statements.clear()
        again = views.active(session, ids)
        assert all(again[i] is first[i] for i in ids)
        assert not any("listings.claims" in s for s in statements)  # the narrow state only
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", record)

    listings.withdraw(session=session, listing=made[0])
    made[1].title = "一种改进的测试装置"
    made[1].version += 1
    session.flush()
    latest = views.active(session, ids)
    assert sorted(latest) == ids[1:]
    assert latest[ids[1]].read.title == "一种改进的测试装置"
    assert latest[ids[2]] is first[ids[2]]
