"""Pages of ranked listings: a stored demand's match page and an ad-hoc search.

The ranking itself is `ranking`'s; a page adds what a person reads beside each listing: the
score's components, the terms that explain it, the SME's verdict and a royalty estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.core.errors import InvalidInput
from app.core.i18n import tr
from app.models import Demand, DemandEmbedding, ListingStatus
from app.schemas import ListingMatch, ListingMatchPage, MatchExplanation, MatchFilters
from app.search import embeddings
from app.search.embeddings import Vector
from app.search.engine import SearchEngine
from app.search.filters import ListingFilters
from app.services import demands
from app.services.listings import service as listings
from app.services.listings import views as listing_views
from app.services.matches import ranking
from app.services.matches.ranking import Ranking
from app.services.royalty import service as royalty
from app.services.royalty.payment_words import GivenBy
from matching.ranking import explain


def listing_filters(filters: MatchFilters, where: tuple[str, ...]) -> ListingFilters:
    """Return validated catalogue filters for a match or search request."""
    return listings.filters_from_query(
        ipc=filters.ipc,
        patent_type=filters.patent_type,
        province=filters.province,
        industry_code=filters.industry_code,
        holder_id=filters.holder_id,
        status=ListingStatus.ACTIVE,
        max_rate_percent=filters.max_rate_percent,
        min_remaining_years=filters.min_remaining_years,
        where=where,
    )


def own_demand(
    *, session: Session, engine: SearchEngine, demand_id: int, organisation_id: int
) -> tuple[Demand, DemandEmbedding | None]:
    """Return a demand of `organisation_id` and its stored vector row, in one query.

    Another organisation's demand is NotFound, as in `demands.get_own`.
    """
    row = session.execute(
        select(Demand, DemandEmbedding)
        .outerjoin(
            DemandEmbedding,
            and_(
                DemandEmbedding.demand_id == Demand.id,
                DemandEmbedding.model_id == engine.embedder.model_id,
            ),
        )
        .where(Demand.id == demand_id)
    ).first()
    demand = demands.own_or_missing(row[0] if row else None, demand_id, organisation_id)
    return demand, row[1] if row else None


def match_demand(
    *,
    session: Session,
    engine: SearchEngine,
    demand: Demand,
    stored: DemandEmbedding | None,
    filters: ListingFilters,
    limit: int,
    offset: int,
) -> ListingMatchPage:
    """Rank active listings for a stored demand; its vector is re-embedded only if its text changed.

    `stored` is the demand's vector row under the running model, as `own_demand` returns it.
    """
    vector = embeddings.demand_vector_from(
        session=session, demand=demand, embedder=engine.embedder, row=stored
    )
    _require_matchable(vector)
    ranked = ranking.rank_demand(
        session=session,
        engine=engine,
        demand=demand,
        vector=vector,
        filters=filters,
        depth=offset + limit,
        offset=offset,
    )
    # Fees are priced for the demand's expected sales; its budget is set beside them.
    licensee = _Licensee(
        industry=demand.industry_code,
        annual_sales_yuan=demand.annual_sales_yuan,
        budget_yuan=demand.budget_yuan,
        given_by="demand",
    )
    return _listing_page(session, engine, ranked, licensee, limit=limit, offset=offset)


def search(
    *,
    session: Session,
    engine: SearchEngine,
    text: str,
    industry: str | None,
    filters: ListingFilters,
    limit: int,
    offset: int,
    annual_sales_yuan: float | None = None,
) -> ListingMatchPage:
    """Rank active listings for a text that is not saved, priced for the searcher's sales."""
    vector = engine.embedder.embed_queries([text])[0]
    _require_matchable(vector)
    ranked = ranking.rank_text(
        engine=engine,
        vector=vector,
        text=text,
        filters=filters,
        depth=offset + limit,
        offset=offset,
    )
    licensee = _Licensee(
        industry=industry, annual_sales_yuan=annual_sales_yuan, budget_yuan=None, given_by="request"
    )
    return _listing_page(session, engine, ranked, licensee, limit=limit, offset=offset)


def _require_matchable(vector: Vector) -> None:
    if not np.isfinite(vector).all() or float(np.linalg.norm(vector)) < 0.5:
        # Only a text with nothing the embedder can represent gets here (punctuation alone,
        # under a hashing embedder): say so instead of failing inside the index.
        raise InvalidInput(
            tr(
                "这段文字里没有可用于匹配的词；请用文字描述技术需求，例如“锂电池正极材料回收”",
                "the text has no words to match on; describe the need in words",
            )
        )


@dataclass(frozen=True)
class _Licensee:
    """Whom a page is for: the industry its fit is scored against and its fees priced for."""

    industry: str | None
    annual_sales_yuan: float | None
    budget_yuan: float | None
    given_by: GivenBy


def _listing_page(
    session: Session,
    engine: SearchEngine,
    ranked: Ranking,
    licensee: _Licensee,
    *,
    limit: int,
    offset: int,
) -> ListingMatchPage:
    shown = listing_views.views.active(session, [c.id for c in ranked.candidates])
    common = engine.catalogue.common_term_idf()
    # Each query term's weight once per request, not once per listing explained.
    weights = {term: engine.catalogue.idf(term) for term in ranked.analysis.terms}
    # One small query per page; the tables themselves are cached per process.
    royalty_tables = royalty.current_tables(session)
    items = []
    for candidate in ranking.still_active(ranked.candidates, shown):
        view = shown[candidate.id]
        why = explain(
            ranked.analysis.terms,
            view.text,
            view.sentences,
            weights.__getitem__,
            ranked.text,
            min_weight=common,
        )
        items.append(
            ListingMatch(
                listing=view.read,
                score=round(candidate.score, 6),
                components=ranking.components(
                    candidate, licensee.industry, view.read.industry_code
                ),
                explanation=MatchExplanation(
                    terms_found=why.terms_found, best_sentence=why.best_sentence
                ),
                feedback=ranked.verdicts.get(candidate.id),
                royalty=royalty.brief_for_request(
                    view.royalty,
                    tables=royalty_tables,
                    listing_id=candidate.id,
                    licensee_industry=licensee.industry,
                    annual_sales_yuan=licensee.annual_sales_yuan,
                    budget_yuan=licensee.budget_yuan,
                    given_by=licensee.given_by,
                ),
            )
        )
    return ListingMatchPage(
        items=items,
        total=ranked.eligible,
        limit=limit,
        offset=offset,
        index_version=ranking.index_version(engine),
    )
