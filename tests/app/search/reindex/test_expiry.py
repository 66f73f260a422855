"""The lifecycle step of the re-index: ended patents and lapsed open licences expire."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.models import IndexVersion, Listing, ListingStatus
from app.search import snapshots
from tests.app.search.reindex.helpers import add_listings, backdate, run_job
from tests.factories import Actors


def test_listings_whose_patent_or_licence_term_ended_expire_and_leave_the_index(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    today = date(2026, 11, 27)
    patent_ended, licence_lapsed, licence_running, no_term, fine = add_listings(
        session, actors.tto.organisation, 5
    )
    backdate(session, patent_ended.id, expiry_date=today - timedelta(days=1))
    # Published 27 November 2023 with a 3-year licence: lapses today.
    backdate(
        session,
        licence_lapsed.id,
        created_at=datetime(2023, 11, 27, 9, tzinfo=UTC),
        licence_term_years=3,
    )
    backdate(
        session,
        licence_running.id,
        created_at=datetime(2023, 11, 28, 9, tzinfo=UTC),
        licence_term_years=3,
    )
    backdate(
        session,
        no_term.id,
        created_at=datetime(2001, 1, 1, tzinfo=UTC),
        licence_term_years=None,
    )
    versions = {m.id: m.version for m in (patent_ended, licence_lapsed)}

    result = run_job(settings, session_factory, today=today)

    assert (result.expired, result.listings) == (2, 3)
    session.expire_all()
    rows = {r.id: r for r in session.scalars(select(Listing))}
    assert rows[patent_ended.id].status is ListingStatus.EXPIRED
    assert rows[licence_lapsed.id].status is ListingStatus.EXPIRED
    assert {i: rows[i].version for i in versions} == {i: v + 1 for i, v in versions.items()}
    for kept in (licence_running, no_term, fine):
        assert rows[kept.id].status is ListingStatus.ACTIVE
    live = snapshots.load_newest(settings.index_dir, model_id="hash-64", dimension=64)
    assert live is not None
    assert sorted(live.index.ids().tolist()) == sorted([licence_running.id, no_term.id, fine.id])
    version = session.scalars(select(IndexVersion)).one()
    assert version.expired_count == 2


def test_an_expiry_is_a_change_even_when_nothing_else_changed(
    settings: Settings, session_factory: sessionmaker[Session], session: Session, actors: Actors
) -> None:
    made = add_listings(session, actors.tto.organisation, 2)
    run_job(settings, session_factory)
    backdate(session, made[0].id, expiry_date=date.today() - timedelta(days=1))

    result = run_job(settings, session_factory)

    assert (result.changed, result.expired, result.listings) == (True, 1, 1)
    assert run_job(settings, session_factory).changed is False
