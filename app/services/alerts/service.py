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
    - A score is the listing's fused score in the demand's ranking, computed exactly as
      `GET /v1/demands/{id}/matches` computes it (active listings, no filters, listings the
      owner marked not relevant left out), so an alert and the matches page agree.

Demand feed (open demands with `alert_min_score`): a listing within the top `ALERT_DEPTH` of
the demand's ranking, scoring at least the threshold, alerts as
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
earlier one, even when this machine's clock is behind the one that ran last (see `_Clock`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session, sessionmaker

from app.models import (
    AlertFeed,
    AlertKind,
    AlertRun,
    Demand,
    DemandStatus,
    Feedback,
    Listing,
    ListingStatus,
    MatchAlert,
    MatchObservation,
    Verdict,
    Visibility,
    utcnow,
)
from app.search import embeddings, sync
from app.search.engine import EngineConfig, SearchEngine
from app.search.filters import ListingFilters
from matching.embedder import Embedder
from matching.index import VectorIndex
from matching.lexical import LexicalIndex
from matching.ranking import Candidate
from matching.text import Tokenizer, content_hash, listing_text

log = logging.getLogger(__name__)

# How deep in a demand's ranking alerts look: the matches pages a person actually reads.
ALERT_DEPTH = 100
# Threshold of the listing feed, on the fused scale: e.g. within the top 16 of both
# retrievers, or first by meaning and within the top 92 by words (README, alerts).
HOLDER_MIN_SCORE = 0.8
_IN_CHUNK = 500
# Demands in the order they were posted (their ids are random), so alerts read oldest first.
_OLDEST_FIRST = (Demand.created_at, Demand.id)
# Key of the PostgreSQL advisory lock that serialises alert runs ("PBAL").
_RUN_LOCK = 0x5042414C
# The finest step both databases store (microseconds).
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class _ListingState:
    status: ListingStatus
    created_at: datetime
    updated_at: datetime
    text_hash: str
    terms: dict[str, Any]


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
    clock = _Clock(after=session.scalar(select(func.max(AlertRun.finished_at))))
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
    recorder = _Recorder(session, engine, run, floor, clock)
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


def licence_terms(listing: Listing | Any) -> dict[str, Any]:
    """Return a listing's licence terms in the API's `licence` shape."""
    return {
        "royalty_type": listing.royalty_type.value,
        "rate_percent": listing.rate_percent,
        "fixed_fee_yuan": listing.fixed_fee_yuan,
        "entry_fee_yuan": listing.entry_fee_yuan,
        "term_years": listing.licence_term_years,
    }


class _Clock:
    """Recording times that only move forward: each later than the one before it."""

    def __init__(self, *, after: datetime | None) -> None:
        self.last = after

    def tick(self) -> datetime:
        """Return the time now, or a microsecond past the last time given if that is later.

        Two alerts never share a time, so a feed's order is the order of recording; a clock
        set back, or behind the machine that ran last, cannot sort new alerts before old ones,
        which a reader whose marker has moved past those would never see. The cost: a run's
        `finished_at` may then lie a little ahead of this machine's clock.
        """
        now = utcnow()
        if self.last is not None and now <= self.last:
            now = self.last + _TICK
        self.last = now
        return now


class _Recorder:
    """One run's work: rankings computed once per demand, listing states read once."""

    def __init__(
        self,
        session: Session,
        engine: SearchEngine,
        run: AlertRun,
        floor: datetime | None,
        clock: _Clock,
    ) -> None:
        self.session = session
        self.engine = engine
        self.run = run
        self.floor = floor
        self.clock = clock
        self.rankings: dict[int, list[Candidate]] = {}
        self.skipped: set[int] = set()
        self._states: dict[int, _ListingState] = {}

    def demand_feed(self, demand: Demand) -> None:
        """Record the listings that newly fit one alert-enabled demand."""
        threshold = demand.alert_min_score
        assert threshold is not None
        alerts_since = demand.alerts_since or demand.created_at
        fits = [c for c in self._ranking(demand) if c.score >= threshold]
        states = self._listing_states([c.id for c in fits])
        seen = self._observations(AlertFeed.DEMAND, demand_id=demand.id)
        for candidate in fits:
            state = states.get(candidate.id)
            if state is None or state.status is not ListingStatus.ACTIVE:
                continue  # withdrawn a moment ago; the catalogue has not caught up
            before = seen.get(candidate.id)
            kind = self._listing_news(state, before, alerts_since)
            if kind is not None:
                fee_change = kind is AlertKind.FEE_CHANGED and before is not None
                previous = before.terms if fee_change and before else None
                self._alert(AlertFeed.DEMAND, kind, demand.id, candidate, previous_terms=previous)
                self.run.demand_alerts += 1
            self._observe(
                before, AlertFeed.DEMAND, demand.id, candidate.id, state.text_hash, state.terms
            )

    def listing_feed(self, demand: Demand, threshold: float, *, baseline: bool) -> None:
        """Record the listings that one changed public demand newly fits."""
        fits = [c for c in self._ranking(demand) if c.score >= threshold]
        states = self._listing_states([c.id for c in fits])
        seen = self._observations(AlertFeed.LISTING, demand_id=demand.id)
        text_hash = content_hash(embeddings.demand_query(demand))
        for candidate in fits:
            state = states.get(candidate.id)
            if state is None or state.status is not ListingStatus.ACTIVE:
                continue
            before = seen.get(candidate.id)
            kind: AlertKind | None = None
            if before is None:
                # A demand older than the listing is on its matches page already, not news.
                if not baseline and demand.updated_at > state.created_at:
                    kind = AlertKind.NEW_DEMAND
            elif before.text_hash != text_hash:
                kind = AlertKind.DEMAND_CHANGED
            if kind is not None:
                self._alert(AlertFeed.LISTING, kind, demand.id, candidate)
                self.run.listing_alerts += 1
            self._observe(before, AlertFeed.LISTING, demand.id, candidate.id, text_hash, None)

    def _listing_news(
        self, state: _ListingState, before: MatchObservation | None, alerts_since: datetime
    ) -> AlertKind | None:
        if before is not None:
            if before.text_hash != state.text_hash:
                return AlertKind.LISTING_CHANGED
            if before.terms != state.terms:
                return AlertKind.FEE_CHANGED
            return None
        in_window = self.floor is None or state.updated_at > self.floor
        if not in_window or state.updated_at <= alerts_since:
            return None  # matched before alerts were on, or changed in an earlier window
        if state.created_at > alerts_since:
            return AlertKind.NEW_LISTING
        return AlertKind.LISTING_CHANGED

    def _ranking(self, demand: Demand) -> list[Candidate]:
        if demand.id in self.rankings:
            return self.rankings[demand.id]
        model_id = self.engine.embedder.model_id
        vectors = embeddings.demand_vectors(
            session=self.session, demand_ids=[demand.id], model_id=model_id
        )
        if demand.id not in vectors:
            self.skipped.add(demand.id)
            return []
        hidden = list(
            self.session.scalars(
                select(Feedback.listing_id).where(
                    Feedback.demand_id == demand.id, Feedback.verdict == Verdict.NOT_RELEVANT
                )
            )
        )
        tokens = self.engine.tokenizer.analyse_query(embeddings.demand_query(demand)).tokens
        # ListingFilters() is what /matches uses without query filters: active listings only.
        ranked = self.engine.catalogue.rank(
            vectors[demand.id], tokens, filters=ListingFilters(), depth=ALERT_DEPTH, exclude=hidden
        )
        self.rankings[demand.id] = ranked.candidates
        return ranked.candidates

    def _listing_states(self, ids: Sequence[int]) -> dict[int, _ListingState]:
        missing = [i for i in ids if i not in self._states]
        for start in range(0, len(missing), _IN_CHUNK):
            chunk = missing[start : start + _IN_CHUNK]
            for row in self.session.scalars(select(Listing).where(Listing.id.in_(chunk))):
                self._states[row.id] = _ListingState(
                    status=row.status,
                    created_at=row.created_at,
                    updated_at=row.updated_at,
                    text_hash=content_hash(listing_text(row.title, row.abstract, row.claims)),
                    terms=licence_terms(row),
                )
        return {i: self._states[i] for i in ids if i in self._states}

    def _observations(self, feed: AlertFeed, *, demand_id: int) -> dict[int, MatchObservation]:
        rows: Iterable[MatchObservation] = self.session.scalars(
            select(MatchObservation).where(
                MatchObservation.feed == feed, MatchObservation.demand_id == demand_id
            )
        )
        return {row.listing_id: row for row in rows}

    def _alert(
        self,
        feed: AlertFeed,
        kind: AlertKind,
        demand_id: int,
        candidate: Candidate,
        previous_terms: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            MatchAlert(
                run_id=self.run.id,
                feed=feed,
                kind=kind,
                demand_id=demand_id,
                listing_id=candidate.id,
                score=round(candidate.score, 6),
                previous_terms=previous_terms,
                created_at=self.clock.tick(),
            )
        )

    def _observe(
        self,
        before: MatchObservation | None,
        feed: AlertFeed,
        demand_id: int,
        listing_id: int,
        text_hash: str,
        terms: dict[str, Any] | None,
    ) -> None:
        if before is None:
            self.session.add(
                MatchObservation(
                    feed=feed,
                    demand_id=demand_id,
                    listing_id=listing_id,
                    text_hash=text_hash,
                    terms=terms,
                    observed_at=utcnow(),
                )
            )
        elif before.text_hash != text_hash or before.terms != terms:
            before.text_hash = text_hash
            before.terms = terms
            before.observed_at = utcnow()
