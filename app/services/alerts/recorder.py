"""One alert run's work: each demand's ranking computed once, each listing's state read once.

`app.services.alerts.service` holds the contract (what alerts, when); this is how a run
records it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    AlertFeed,
    AlertKind,
    AlertRun,
    Demand,
    Listing,
    ListingStatus,
    MatchAlert,
    MatchObservation,
    utcnow,
)
from app.search import embeddings
from app.search.engine import SearchEngine
from app.services.matches import ranking
from matching.ranking import Candidate
from matching.text import content_hash, listing_text

# How deep in a demand's ranking alerts look: the matches pages a person actually reads.
ALERT_DEPTH = 100
_IN_CHUNK = 500
# The finest step both databases store (microseconds).
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class _ListingState:
    status: ListingStatus
    created_at: datetime
    updated_at: datetime
    text_hash: str
    terms: dict[str, Any]


def licence_terms(listing: Listing | Any) -> dict[str, Any]:
    """Return a listing's licence terms in the API's `licence` shape."""
    return {
        "royalty_type": listing.royalty_type.value,
        "rate_percent": listing.rate_percent,
        "fixed_fee_yuan": listing.fixed_fee_yuan,
        "entry_fee_yuan": listing.entry_fee_yuan,
        "term_years": listing.licence_term_years,
    }


class Clock:
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


class Recorder:
    """One run's work: rankings computed once per demand, listing states read once."""

    def __init__(
        self,
        session: Session,
        engine: SearchEngine,
        run: AlertRun,
        floor: datetime | None,
        clock: Clock,
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
        fits = self._fits(demand, threshold)
        seen = self._observations(AlertFeed.DEMAND, demand_id=demand.id)
        for candidate, state in fits:
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
        fits = self._fits(demand, threshold)
        seen = self._observations(AlertFeed.LISTING, demand_id=demand.id)
        text_hash = content_hash(embeddings.demand_query(demand))
        for candidate, state in fits:
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

    def _fits(self, demand: Demand, threshold: float) -> list[tuple[Candidate, _ListingState]]:
        """Return the active listings of `demand`'s ranking scoring `threshold` or more."""
        fits = [c for c in self._ranking(demand) if c.score >= threshold]
        states = self._listing_states([c.id for c in fits])
        active = {i for i, state in states.items() if state.status is ListingStatus.ACTIVE}
        return [(c, states[c.id]) for c in ranking.still_active(fits, active)]

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
        # Stored vectors only: the run never embeds (see the contract in `service`).
        ranked = ranking.rank_demand(
            session=self.session,
            engine=self.engine,
            demand=demand,
            vector=vectors[demand.id],
            filters=ranking.UNFILTERED,
            depth=ALERT_DEPTH,
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
