"""The alerts job on its own (cron: `patentbridge alerts`), for when no re-index ran."""

from __future__ import annotations

from datetime import datetime

from app.core.config import Settings
from app.core.db import create_db_engine, make_session_factory, session_scope
from app.models import AlertRun
from app.search.engine import build_engine
from app.services.alerts.service import record_new_matches


def run(settings: Settings, *, since: datetime | None = None) -> AlertRun:
    """Load the catalogue as an API process does, record new matches, and commit them."""
    db = create_db_engine(settings.database_url)
    try:
        factory = make_session_factory(db)
        engine = build_engine(settings, factory)
        engine.load()
        with session_scope(factory) as session:
            return record_new_matches(session=session, engine=engine, since=since)
    finally:
        db.dispose()


def summary(run: AlertRun) -> str:
    """Return the one line cron mails."""
    return (
        f"alerts ok: run {run.id}, {run.demands_ranked} demands ranked, "
        f"{run.demand_alerts} demand alerts, {run.listing_alerts} listing alerts, "
        f"{run.skipped} demands skipped (no stored vector)"
    )
