"""`GET /v1/index` and `POST /v1/index/rebuild`, for operators only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.models import AlertRun
from app.search import snapshots
from app.search.reindex.background import BackgroundReindex
from app.search.reindex.lock import ReindexLock
from tests.app.search.reindex.helpers import add_listings, run_job
from tests.factories import Actors


def _rebuilder(client: TestClient) -> BackgroundReindex:
    runner: BackgroundReindex = client.app.state.rebuilder  # type: ignore[attr-defined]
    return runner


def test_index_status_shows_the_live_snapshot_what_is_served_and_the_runs(
    client: TestClient,
    settings: Settings,
    session_factory: sessionmaker[Session],
    session: Session,
    actors: Actors,
) -> None:
    add_listings(session, actors.tto.organisation, 3)
    first = run_job(settings, session_factory)
    run_job(settings, session_factory)

    response = client.get("/v1/index", headers=actors.operator.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["live"]["snapshot"] == first.snapshot
    assert (body["live"]["model_id"], body["live"]["count"]) == ("hash-64", 3)
    assert body["live"]["index_type"] == "flat"
    assert body["kept_snapshots"] == [first.snapshot]
    assert body["serving"]["swaps"] == 0
    assert [(r["status"], r["note"], r["snapshot"]) for r in body["runs"]] == [
        ("ready", "unchanged", first.snapshot),
        ("ready", None, first.snapshot),
    ]
    assert body["rebuild"]["running"] is False


def test_index_routes_are_for_operators_only(client: TestClient, actors: Actors) -> None:
    assert client.get("/v1/index", headers=actors.sme.headers).status_code == 403
    assert client.post("/v1/index/rebuild", headers=actors.tto.headers).status_code == 403
    assert client.get("/v1/index").status_code == 401


def test_rebuild_runs_in_the_background_and_the_process_swaps_the_result_in(
    client: TestClient, settings: Settings, session: Session, actors: Actors
) -> None:
    add_listings(session, actors.tto.organisation, 2)

    response = client.post("/v1/index/rebuild", headers=actors.operator.headers)

    assert response.status_code == 202, response.text
    assert response.json()["running"] is True
    state = _rebuilder(client).wait(timeout=60)
    assert state.error is None and state.summary is not None
    body = client.get("/v1/index", headers=actors.operator.headers).json()
    live = snapshots.current_name(settings.index_dir)
    assert body["live"]["snapshot"] == live == body["serving"]["snapshot"]
    assert body["serving"]["listings"] == 2
    assert body["rebuild"]["summary"].startswith("reindex ok: version")
    assert body["runs"][0]["status"] == "ready"


def test_rebuild_while_a_re_index_holds_the_lock_is_409(
    client: TestClient, settings: Settings, actors: Actors
) -> None:
    other = ReindexLock(settings.index_dir, None)
    other.acquire()
    try:
        response = client.post("/v1/index/rebuild", headers=actors.operator.headers)
    finally:
        other.release()

    assert response.status_code == 409
    assert "another re-index is running" in response.json()["detail"][0]["msg"]


def test_a_rebuild_records_alerts_against_the_new_snapshot(
    client: TestClient, session: Session, actors: Actors
) -> None:
    add_listings(session, actors.tto.organisation, 2)
    before = session.scalar(select(func.count()).select_from(AlertRun))

    response = client.post("/v1/index/rebuild", headers=actors.operator.headers)

    assert response.status_code == 202, response.text
    assert _rebuilder(client).wait(timeout=60).error is None
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AlertRun)) == (before or 0) + 1
