"""The memo layers of the match path are never served stale (docs/caches.md).

Each test changes what a cache was built from, the way the product changes it (an edit through
the service, a holder rename, midnight, a royalty-table import), and reads through the cache.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from app.schemas import ListingCreate, ListingUpdate
from app.services.listings import service as listings
from app.services.listings.views import ListingViews
from app.services.royalty import service as royalty
from tests.app.services.test_royalty_import import NBS, run
from tests.factories import Actors, listing_payload


def _listed(session: Session, actors: Actors) -> int:
    data = ListingCreate.model_validate(listing_payload(title="一种轴承故障诊断方法"))
    return listings.create(session=session, organisation=actors.tto.organisation, data=data).id


def test_an_edited_listing_is_shown_as_edited(session: Session, actors: Actors) -> None:
    views = ListingViews()
    listing_id = _listed(session, actors)
    assert views.active(session, [listing_id])[listing_id].read.title == "一种轴承故障诊断方法"

    listing = listings.get(session=session, listing_id=listing_id)
    patch = ListingUpdate(title="一种主轴冷却装置")
    listings.update(session=session, listing=listing, patch=patch, expected_version=None)

    view = views.active(session, [listing_id])[listing_id]
    assert (view.read.title, view.text.startswith("一种主轴冷却装置")) == ("一种主轴冷却装置", True)


def test_a_renamed_holder_is_shown_by_its_new_name(session: Session, actors: Actors) -> None:
    views = ListingViews()
    listing_id = _listed(session, actors)
    assert views.active(session, [listing_id])[listing_id].read.holder.name == "测试大学"

    actors.tto.organisation.name = "改名大学"  # the listing itself does not change
    session.flush()

    assert views.active(session, [listing_id])[listing_id].read.holder.name == "改名大学"


def test_a_view_is_not_reused_on_the_next_day(session: Session, actors: Actors) -> None:
    today = [date(2026, 11, 30)]
    views = ListingViews(today=lambda: today[0])
    listing = listings.get(session=session, listing_id=_listed(session, actors))
    first = views.of(listing)
    assert views.of(listing) is first

    today[0] += timedelta(days=1)  # midnight: the remaining term counts from a new day

    assert views.of(listing) is not first


def test_a_royalty_table_import_is_priced_from_at_once(session: Session) -> None:
    before = royalty.current_tables(session)
    assert royalty.current_tables(session) is before

    report = run(session, NBS)

    after = royalty.current_tables(session)
    assert f"import-{report.table_id}" in after.sources
    assert f"import-{report.table_id}" not in before.sources
