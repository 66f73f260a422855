"""The alerts job: its window, its memory against repeats, stored vectors only, the re-index
hook and the cron command."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.db import create_db_engine, make_session_factory, session_scope
from app.jobs import migrate as migrate_job
from app.models import (
    AlertFeed,
    DemandEmbedding,
    MatchAlert,
    OrganisationKind,
    Visibility,
    utcnow,
)
from app.schemas import DemandCreate, ListingCreate
from app.search import embeddings
from app.search.engine import SearchEngine
from app.services import demands, organisations
from app.services.alerts import job as alerts_job
from app.services.alerts.service import record_after_reindex, record_new_matches
from app.services.listings import service as listings
from matching.embedder import Embedder, HashingEmbedder, Vectors
from matching.index import VectorIndex
from matching.lexical import LexicalIndex
from matching.text import Tokenizer
from tests.app.listing_calls import create_listing
from tests.conftest import TEST_EMBEDDER
from tests.factories import Actor, Actors, listing_payload

NEED: dict[str, Any] = {
    "title": "数控机床主轴轴承早期故障预警",
    "description": "我司生产精密数控机床，希望引进基于振动信号的主轴轴承故障诊断技术。",
}


def engine_of(client: TestClient) -> SearchEngine:
    engine: SearchEngine = client.app.state.engine  # type: ignore[attr-defined]
    return engine


def post_demand(client: TestClient, actor: Actor, **fields: Any) -> int:
    response = client.post("/v1/demands", json=NEED | fields, headers=actor.headers)
    assert response.status_code == 201, response.text
    demand_id: int = response.json()["id"]
    return demand_id


def alert_pairs(session: Session, feed: AlertFeed) -> list[tuple[int, int, str]]:
    rows = session.execute(
        select(MatchAlert.demand_id, MatchAlert.listing_id, MatchAlert.kind)
        .where(MatchAlert.feed == feed)
        .order_by(MatchAlert.created_at, MatchAlert.id)
    )
    return [(d, li, k.value) for d, li, k in rows]


class RefusingEmbedder:
    """The running model's identity, but any attempt to embed fails the test."""

    def __init__(self, model: Embedder) -> None:
        self.model_id = model.model_id
        self.dimension = model.dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        raise AssertionError(f"alerts embedded {len(texts)} queries")

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        raise AssertionError(f"alerts embedded {len(texts)} passages")


def test_a_second_run_records_nothing_and_starts_where_the_first_began(
    client: TestClient, actors: Actors, session: Session
) -> None:
    demand_id = post_demand(client, actors.sme, alert_min_score=0.5, visibility="public")
    listing_id = create_listing(client, actors.tto)["id"]
    engine = engine_of(client)
    engine.embedder = RefusingEmbedder(engine.embedder)

    first = record_new_matches(session=session, engine=engine)
    second = record_new_matches(session=session, engine=engine)

    assert first.since is None
    assert second.since == first.started_at
    assert (first.demands_ranked, first.demand_alerts, first.listing_alerts) == (1, 1, 0)
    assert (second.demand_alerts, second.listing_alerts) == (0, 0)
    assert alert_pairs(session, AlertFeed.DEMAND) == [(demand_id, listing_id, "new_listing")]


def test_nothing_changed_in_the_window_ranks_nothing(
    client: TestClient, actors: Actors, session: Session
) -> None:
    post_demand(client, actors.sme, alert_min_score=0.5)
    create_listing(client, actors.tto)
    engine = engine_of(client)
    later = record_new_matches(session=session, engine=engine).started_at + timedelta(hours=1)

    run = record_new_matches(session=session, engine=engine, since=later)

    assert (run.demands_ranked, run.demand_alerts, run.listing_alerts) == (0, 0, 0)


def test_a_listing_that_only_climbs_the_ranking_does_not_alert(
    client: TestClient, actors: Actors, session: Session
) -> None:
    first = create_listing(client, actors.tto)["id"]
    climber = create_listing(client, actors.tto, title="一种轴承故障诊断装置")["id"]
    demand_id = post_demand(client, actors.sme, alert_min_score=0.999)
    assert score_of(client, actors.sme, demand_id, climber) < 0.999
    record_new_matches(session=session, engine=engine_of(client))

    client.delete(f"/v1/listings/{first}", headers=actors.tto.headers)
    assert score_of(client, actors.sme, demand_id, climber) >= 0.999
    run = record_new_matches(session=session, engine=engine_of(client))

    assert run.demand_alerts == 0
    assert alert_pairs(session, AlertFeed.DEMAND) == []


def test_alert_ids_do_not_count_the_alerts_of_other_owners(
    client: TestClient, actors: Actors, session: Session
) -> None:
    for actor in (actors.sme, actors.other_sme):
        post_demand(client, actor, alert_min_score=0.01)
    for _ in range(11):
        create_listing(client, actors.tto)

    run = record_new_matches(session=session, engine=engine_of(client))
    ids = list(
        session.scalars(select(MatchAlert.id).order_by(MatchAlert.created_at, MatchAlert.id))
    )

    assert run.demand_alerts == len(ids) == 22
    assert [b - a for a, b in zip(ids, ids[1:], strict=False) if b - a == 1] == []


def test_alerts_are_stamped_after_the_previous_run_even_when_the_clock_is_behind(
    client: TestClient, actors: Actors, session: Session
) -> None:
    post_demand(client, actors.sme, alert_min_score=0.3)
    create_listing(client, actors.tto)
    first = record_new_matches(session=session, engine=engine_of(client))
    # The machine that ran last had a clock an hour ahead of this one.
    ahead = utcnow() + timedelta(hours=1)
    first.finished_at = ahead
    session.flush()
    create_listing(client, actors.other_tto)

    second = record_new_matches(session=session, engine=engine_of(client))
    stamps = list(
        session.scalars(select(MatchAlert.created_at).where(MatchAlert.run_id == second.id))
    )

    assert len(stamps) == second.demand_alerts == 1
    assert ahead < stamps[0]
    assert second.finished_at is not None and stamps[0] < second.finished_at


def score_of(client: TestClient, actor: Actor, demand_id: int, listing_id: int) -> float:
    page = client.get(f"/v1/demands/{demand_id}/matches", headers=actor.headers).json()
    return float(next(i["score"] for i in page["items"] if i["listing"]["id"] == listing_id))


def test_a_demand_without_a_stored_vector_is_skipped_and_not_embedded(
    client: TestClient, actors: Actors, session: Session
) -> None:
    demand = demands.create(
        session=session,
        organisation=actors.sme.organisation,
        data=DemandCreate.model_validate(NEED | {"alert_min_score": 0.5}),
    )
    session.commit()
    create_listing(client, actors.tto)

    run = record_new_matches(session=session, engine=engine_of(client))

    assert run.skipped == 1
    assert run.demand_alerts == 0
    stored = session.scalar(
        select(func.count())
        .select_from(DemandEmbedding)
        .where(DemandEmbedding.demand_id == demand.id)
    )
    assert stored == 0


def test_private_demands_are_never_recorded_for_a_listing(
    client: TestClient, actors: Actors, session: Session
) -> None:
    listing_id = create_listing(client, actors.tto)["id"]
    record_new_matches(session=session, engine=engine_of(client))
    post_demand(client, actors.other_sme, visibility="private", alert_min_score=0.5)
    public = post_demand(client, actors.sme, visibility="public")

    run = record_new_matches(session=session, engine=engine_of(client))

    assert alert_pairs(session, AlertFeed.LISTING) == [(public, listing_id, "new_demand")]
    assert run.listing_alerts == 1


def test_the_first_run_only_takes_note_of_existing_public_demands(
    client: TestClient, actors: Actors, session: Session
) -> None:
    create_listing(client, actors.tto)
    post_demand(client, actors.sme, visibility="public")

    run = record_new_matches(session=session, engine=engine_of(client))

    assert run.listing_alerts == 0
    assert alert_pairs(session, AlertFeed.LISTING) == []


@dataclass(frozen=True)
class FakeOutcome:
    snapshot: str
    index: VectorIndex
    lexical: LexicalIndex
    embedder: Embedder
    tokenizer: Tokenizer


def test_the_reindex_hook_ranks_against_the_snapshot_it_is_given(
    client: TestClient, actors: Actors, session: Session
) -> None:
    demand_id = post_demand(client, actors.sme, alert_min_score=0.5)
    kept = create_listing(client, actors.tto)["id"]
    withdrawn = create_listing(client, actors.other_tto)["id"]
    engine = engine_of(client)
    index, lexical = engine.catalogue.snapshot_parts()
    client.delete(f"/v1/listings/{withdrawn}", headers=actors.other_tto.headers)

    outcome = FakeOutcome("test", index, lexical, engine.embedder, engine.tokenizer)
    run = record_after_reindex(session=session, outcome=outcome)

    assert run.demand_alerts == 1
    assert alert_pairs(session, AlertFeed.DEMAND) == [(demand_id, kept, "new_listing")]


def test_the_cron_job_loads_the_catalogue_and_commits_its_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    migrate_job.upgrade(url)
    settings = Settings(
        database_url=url, index_dir=tmp_path / "index", embedding_model=TEST_EMBEDDER
    )
    db = create_db_engine(url)
    embedder = HashingEmbedder(64)
    with session_scope(make_session_factory(db)) as session:
        sme = organisations.ensure(session=session, name="企业", kind=OrganisationKind.ENTERPRISE)
        uni = organisations.ensure(session=session, name="大学", kind=OrganisationKind.UNIVERSITY)
        demand = demands.create(
            session=session,
            organisation=sme,
            data=DemandCreate.model_validate(
                NEED | {"alert_min_score": 0.5, "visibility": Visibility.PUBLIC}
            ),
        )
        embeddings.demand_vector(session=session, demand=demand, embedder=embedder)
        listing = listings.create(
            session=session, organisation=uni, data=ListingCreate.model_validate(listing_payload())
        )
        embeddings.embed_listings(session=session, listings=[listing], embedder=embedder)

    run = alerts_job.run(settings)

    assert alerts_job.summary(run) == (
        f"alerts ok: run {run.id}, 1 demands ranked, 1 demand alerts, 0 listing alerts, "
        "0 demands skipped (no stored vector)"
    )
    with session_scope(make_session_factory(db)) as session:
        assert alert_pairs(session, AlertFeed.DEMAND) == [(demand.id, listing.id, "new_listing")]
    db.dispose()
