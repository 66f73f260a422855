"""Alerts on new matches: which listings newly fit a demand, which public demands a listing.

Contract (the nightly re-index calls this after a successful switch; cron calls it through
`patentbridge alerts`):

    record_new_matches(*, session, engine, since=None, holder_min_score=HOLDER_MIN_SCORE)
        -> AlertRun

    - `engine`: a SearchEngine whose catalogue is loaded. Listings changed in the window are
      first applied to it from `session`, so a catalogue a little behind is brought up to date.
    - `since`: changes (`updated_at` of listings and demands) after this moment are examined;
      None means "since the previous run started" (everything on the first run). The window
      reaches back `engine.config.catchup_overlap` more, because transactions commit out of
      timestamp order; examining a change twice records nothing twice (see below).
    - Flushes, never commits: the caller commits the run as one transaction or rolls it back.
      Runs are serialised (a transaction-scoped advisory lock on PostgreSQL; SQLite admits one
      writer), so two runs at once cannot report one change twice.
    - Only stored vectors are used, never the embedder. A demand without a vector of the
      running model is skipped and counted in `AlertRun.skipped`.
    - A score is the listing's fused score in the demand's ranking, computed by the ranking
      `GET /v1/demands/{id}/matches` uses (`app.services.matches.ranking`: active listings,
      no filters, listings the owner marked not relevant left out), so an alert and the
      matches page agree.

Demand feed (open demands with `alert_min_score`): a listing within the top
`recorder.ALERT_DEPTH` of the demand's ranking, scoring at least the threshold, alerts as
    new_listing      created after alerts were turned on and changed in the window;
    listing_changed  its text differs from when the pair was last recorded (or, for a pair never
                     recorded, it was edited in the window after alerts were turned on);
    fee_changed      its licence terms differ from when the pair was last recorded.
A listing that only climbs the ranking (because others left or changed) never alerts.

Listing feed (every active listing; only open public demands, never private ones): a demand
changed in the window (posted, edited, made public) whose ranking holds the listing within
`ALERT_DEPTH` at `holder_min_score` or more alerts as new_demand (first time for the pair, the
demand changed after the listing was published) or demand_changed (its text differs from when
the pair was last recorded). The very first run (no earlier run, no `since`) only takes note of
the public demands there are, so that deploying alerts does not report years of old demands.

`record_after_reindex(*, session, outcome)` is the same run against the snapshot a re-index has
just made live (the re-index job's after-switch hook, which passes no SearchEngine).

Every pair seen above its threshold is remembered in `match_observations` with the state that
was reported; a change is reported once, against that memory.

Alert ids are random (they must not count other owners' alerts), so feeds read in the order of
`created_at`: each alert is stamped later than every alert recorded before it, by this run or an
earlier one, even when this machine's clock is behind the one that ran last (see `recorder.Clock`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session, sessionmaker

from app.models import AlertRun, Demand, DemandStatus, Listing, Visibility, utcnow
from app.search import sync
from app.search.engine import EngineConfig, SearchEngine
from app.services.alerts.recorder import Clock, Recorder
from matching.embedder import Embedder
from matching.index import VectorIndex
from matching.lexical import LexicalIndex
from matching.text import Tokenizer

log = logging.getLogger(__name__)

# Threshold of the listing feed, on the fused scale: e.g. within the top 16 of both
# retrievers, or first by meaning and within the top 92 by words (docs/matching.md).
HOLDER_MIN_SCORE = 0.8
# Demands in the order they were posted (their ids are random), so alerts read oldest first.
_OLDEST_FIRST = (Demand.created_at, Demand.id)
# Key of the PostgreSQL advisory lock that serialises alert runs ("PBAL").
_RUN_LOCK = 0x5042414C


def record_new_matches(
    *,
    session: Session,
    engine: SearchEngine,
    since: datetime | None = None,
    holder_min_score: float = HOLDER_MIN_SCORE,
) -> AlertRun:
    """Record the matches that are new since `since` on both feeds; see the module contract."""
    if session.get_bind().dialect.name == "postgresql":
        # Held to commit: a second run waits, then reads what this one recorded.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _RUN_LOCK})
    if since is None:
        since = session.scalar(select(func.max(AlertRun.started_at)))
    # Read under the run lock: the previous run has committed, and its finish is stamped after
    # its last alert, so this run's alerts sort after all of that run's.
    clock = Clock(after=session.scalar(select(func.max(AlertRun.finished_at))))
    run = AlertRun(
        since=since,
        started_at=utcnow(),
        demands_ranked=0,
        demand_alerts=0,
        listing_alerts=0,
        skipped=0,
    )
    session.add(run)
    session.flush()
    floor = None if since is None else since - engine.config.catchup_overlap
    changed = _changed_listings(session, floor)
    watching: list[Demand] = []
    if changed:
        demand_query = select(Demand).where(
            Demand.status == DemandStatus.OPEN, Demand.alert_min_score.is_not(None)
        )
        watching = list(session.scalars(demand_query.order_by(*_OLDEST_FIRST)))
    public_query = select(Demand).where(
        Demand.status == DemandStatus.OPEN, Demand.visibility == Visibility.PUBLIC
    )
    if floor is not None:
        public_query = public_query.where(Demand.updated_at > floor)
    new_public = list(session.scalars(public_query.order_by(*_OLDEST_FIRST)))
    if changed and (watching or new_public):
        engine.refresh(session, changed)
    recorder = Recorder(session, engine, run, floor, clock)
    for demand in watching:
        recorder.demand_feed(demand)
    for demand in new_public:
        # The very first run has no "last time" to compare with: it only takes note.
        recorder.listing_feed(demand, holder_min_score, baseline=since is None)
    run.demands_ranked = len(recorder.rankings)
    run.skipped = len(recorder.skipped)
    run.finished_at = clock.tick()
    session.flush()
    log.info(
        "alerts recorded",
        extra={
            "alert_run": run.id,
            "listings_changed": len(changed),
            "demands_ranked": run.demands_ranked,
            "demand_alerts": run.demand_alerts,
            "listing_alerts": run.listing_alerts,
            "skipped": run.skipped,
        },
    )
    return run


class Reindexed(Protocol):
    """What a re-index hands its after-switch hook (`app.search.reindex.run.ReindexOutcome`)."""

    @property
    def snapshot(self) -> str: ...
    @property
    def index(self) -> VectorIndex: ...
    @property
    def lexical(self) -> LexicalIndex: ...
    @property
    def embedder(self) -> Embedder: ...
    @property
    def tokenizer(self) -> Tokenizer: ...


def record_after_reindex(*, session: Session, outcome: Reindexed) -> AlertRun:
    """Record new matches against the snapshot a re-index has just made live."""
    engine = SearchEngine(
        embedder=outcome.embedder,
        tokenizer=outcome.tokenizer,
        # Never opened: the run reads and writes through `session` only.
        session_factory=sessionmaker(),
        config=EngineConfig(index_dir=None, catchup_seconds=0),
    )
    catalogue = engine.catalogue
    catalogue.replace_all(
        [],
        index=outcome.index,
        lexical=outcome.lexical,
        watermark=None,
        source=f"snapshot {outcome.snapshot}",
    )
    if _anyone_listening(session):
        # Reading the facts of 100k listings takes seconds: only when a demand can use them.
        held = set(outcome.index.ids().tolist())
        facts = [f for f in sync.active_facts(session) if f.id in held]
        catalogue.apply_facts(facts)
        # Withdrawn between the build and now: they leave, as when a process loads a snapshot.
        catalogue.apply([], sorted(held - {f.id for f in facts}))
    return record_new_matches(session=session, engine=engine)


def _anyone_listening(session: Session) -> bool:
    """Return True when an open demand has alerts on or is public (the holders' feed)."""
    listening = select(Demand.id).where(
        Demand.status == DemandStatus.OPEN,
        or_(Demand.alert_min_score.is_not(None), Demand.visibility == Visibility.PUBLIC),
    )
    return session.scalar(listening.limit(1)) is not None


def _changed_listings(session: Session, floor: datetime | None) -> list[int]:
    query = select(Listing.id)
    if floor is not None:
        query = query.where(Listing.updated_at > floor)
    return list(session.scalars(query))
