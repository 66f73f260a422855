"""How listings are ranked for a need: the one ranking that a demand's match page, an ad-hoc
search and the new-match alerts all use, so that an alert and the page it points to agree.

The rules, each owned here:

- Listings are ranked by the catalogue's hybrid ranking (`app.search.catalogue.Catalogue.rank`:
  dense and BM25 retrieval over the listings the filters keep, fused by reciprocal rank) for a
  query vector and the BM25 tokens of the query's text.
- For a stored demand the query text is `embeddings.demand_query(demand)`, and the listings
  its owner marked not relevant are left out before ranking: a listing rejected once is never
  ranked for that demand again, on its page or in its alerts.
- `still_active` leaves out, after ranking, a listing that the database no longer holds as
  active (withdrawn in another process a moment ago, before this catalogue caught up).

What the callers choose, deliberately different:

- the vector: a match page embeds (and stores) a demand's vector when its text has none yet;
  the alerts run uses stored vectors only and skips a demand without one;
- the filters: a page applies its query filters; alerts rank with `UNFILTERED`, which is what
  a page without query filters ranks;
- how deep: a page is cut at `offset + limit`; alerts read the top `ALERT_DEPTH` places.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.models import Demand, Verdict
from app.schemas import ScoreComponents
from app.search import embeddings
from app.search.embeddings import Vector
from app.search.engine import SearchEngine
from app.search.filters import ListingFilters
from app.services import feedback
from matching.ranking import Candidate, classification_fit
from matching.text import Analysis

# What a match page ranks when the request sets no filter: every active listing.
UNFILTERED = ListingFilters()


@dataclass(frozen=True)
class Ranking:
    """Listings ranked for one need, with what a page needs to explain them."""

    candidates: list[Candidate]
    # Listings that passed the filters and exclusions: the page's `total`.
    eligible: int
    text: str
    analysis: Analysis
    # The demand owner's verdicts by listing id (empty for a search).
    verdicts: Mapping[int, Verdict] = field(default_factory=dict)


def rank_text(
    *,
    engine: SearchEngine,
    vector: Vector,
    text: str,
    filters: ListingFilters,
    depth: int,
    offset: int = 0,
    exclude: Sequence[int] = (),
) -> Ranking:
    """Return the listings ranked `offset` to `depth` for a query vector and its text."""
    analysis = engine.tokenizer.analyse_query(text)
    ranked = engine.catalogue.rank(
        vector, analysis.tokens, filters=filters, depth=depth, offset=offset, exclude=exclude
    )
    return Ranking(
        candidates=ranked.candidates, eligible=ranked.eligible, text=text, analysis=analysis
    )


def rank_demand(
    *,
    session: Session,
    engine: SearchEngine,
    demand: Demand,
    vector: Vector,
    filters: ListingFilters,
    depth: int,
    offset: int = 0,
) -> Ranking:
    """Return the listings ranked `offset` to `depth` for a stored demand and its vector."""
    verdicts = feedback.verdicts(session, demand.id)
    hidden = [i for i, verdict in verdicts.items() if verdict is Verdict.NOT_RELEVANT]
    ranking = rank_text(
        engine=engine,
        vector=vector,
        text=embeddings.demand_query(demand),
        filters=filters,
        depth=depth,
        offset=offset,
        exclude=hidden,
    )
    return Ranking(
        candidates=ranking.candidates,
        eligible=ranking.eligible,
        text=ranking.text,
        analysis=ranking.analysis,
        verdicts=verdicts,
    )


def still_active(candidates: Sequence[Candidate], active: Container[int]) -> list[Candidate]:
    """Return the candidates whose listing the database holds as active, in ranking order."""
    return [c for c in candidates if c.id in active]


def components(
    candidate: Candidate, query_industry: str | None, industry: str | None
) -> ScoreComponents:
    """Return a candidate's score components as a match shows them."""
    return ScoreComponents(
        semantic=None if candidate.semantic is None else round(candidate.semantic, 6),
        lexical=None if candidate.lexical is None else round(candidate.lexical, 6),
        classification=classification_fit(query_industry, industry),
    )


def index_version(engine: SearchEngine) -> str:
    """Return a label for the index state that answered: its source and watermark."""
    watermark = engine.catalogue.watermark
    stamp = watermark.isoformat(timespec="seconds") if watermark else "empty"
    return f"{engine.catalogue.source}; caught up to {stamp}"
