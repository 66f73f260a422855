"""Matching use cases: a demand's patents, an ad-hoc search, a patent's demands, feedback."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.core.errors import InvalidInput, NotFound
from app.core.i18n import tr
from app.models import (
    Demand,
    DemandEmbedding,
    DemandStatus,
    Feedback,
    Listing,
    ListingStatus,
    Verdict,
    Visibility,
    utcnow,
)
from app.schemas import (
    DemandMatch,
    DemandMatchPage,
    FeedbackCreate,
    ListingMatch,
    ListingMatchPage,
    MatchExplanation,
    MatchFilters,
    ScoreComponents,
)
from app.search import embeddings
from app.search.catalogue import LEXICAL_WEIGHT
from app.search.engine import SearchEngine
from app.search.filters import ListingFilters
from app.services import demands
from app.services.listings import service as listings
from app.services.listings import views as listing_views
from app.services.royalty import service as royalty
from app.services.royalty.payment_words import GivenBy
from matching.ranking import Candidate, classification_fit, explain, fuse
from matching.text import listing_text, sentences

# Reverse matching ranks every open public demand by similarity, then scores terms for the
# best of them only: tokenising every demand for every request would dominate the cost.
_REVERSE_LEXICAL_DEPTH = 200


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


def index_version(engine: SearchEngine) -> str:
    """Return a label for the index state that answered: its source and watermark."""
    watermark = engine.catalogue.watermark
    stamp = watermark.isoformat(timespec="seconds") if watermark else "empty"
    return f"{engine.catalogue.source}; caught up to {stamp}"


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
    """Rank active listings for a stored demand; its stored vector is used, never re-embedded.

    `stored` is the demand's vector row under the running model, as `own_demand` returns it.
    """
    vector = embeddings.demand_vector_from(
        session=session, demand=demand, embedder=engine.embedder, row=stored
    )
    rows = session.execute(
        select(Feedback.listing_id, Feedback.verdict).where(Feedback.demand_id == demand.id)
    )
    verdicts = {row.listing_id: row.verdict for row in rows}
    # A listing the SME marked not relevant for this demand is not shown to it again.
    hidden = [i for i, verdict in verdicts.items() if verdict is Verdict.NOT_RELEVANT]
    return _listing_page(
        session=session,
        engine=engine,
        vector=vector,
        query_text=embeddings.demand_query(demand),
        industry=demand.industry_code,
        filters=filters,
        limit=limit,
        offset=offset,
        hidden=hidden,
        verdicts=verdicts,
        # Fees are priced for the demand's expected sales; its budget is set beside them.
        annual_sales_yuan=demand.annual_sales_yuan,
        budget_yuan=demand.budget_yuan,
        given_by="demand",
    )


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
    return _listing_page(
        session=session,
        engine=engine,
        vector=vector,
        query_text=text,
        industry=industry,
        filters=filters,
        limit=limit,
        offset=offset,
        hidden=[],
        verdicts={},
        annual_sales_yuan=annual_sales_yuan,
        given_by="request",
    )


def _listing_page(
    *,
    session: Session,
    engine: SearchEngine,
    vector: np.ndarray,
    query_text: str,
    industry: str | None,
    filters: ListingFilters,
    limit: int,
    offset: int,
    hidden: Sequence[int],
    verdicts: dict[int, Verdict],
    given_by: GivenBy,
    annual_sales_yuan: float | None = None,
    budget_yuan: float | None = None,
) -> ListingMatchPage:
    if not np.isfinite(vector).all() or float(np.linalg.norm(vector)) < 0.5:
        # Only a text with nothing the embedder can represent gets here (punctuation alone,
        # under a hashing embedder): say so instead of failing inside the index.
        raise InvalidInput(
            tr(
                "这段文字里没有可用于匹配的词；请用文字描述技术需求，例如“锂电池正极材料回收”",
                "the text has no words to match on; describe the need in words",
            )
        )
    analysis = engine.tokenizer.analyse_query(query_text)
    ranked = engine.catalogue.rank(
        vector,
        analysis.tokens,
        filters=filters,
        depth=offset + limit,
        offset=offset,
        exclude=hidden,
    )
    page = ranked.candidates
    # Withdrawn in another process a moment ago, before this one caught up: left out.
    shown = listing_views.views.active(session, [c.id for c in page])
    common = engine.catalogue.common_term_idf()
    # Each query term's weight once per request, not once per listing explained.
    weights = {term: engine.catalogue.idf(term) for term in analysis.terms}
    # One small query per page; the tables themselves are cached per process.
    royalty_tables = royalty.current_tables(session)
    items = []
    for candidate in page:
        view = shown.get(candidate.id)
        if view is None:
            continue
        why = explain(
            analysis.terms,
            view.text,
            view.sentences,
            weights.__getitem__,
            query_text,
            min_weight=common,
        )
        items.append(
            ListingMatch(
                listing=view.read,
                score=round(candidate.score, 6),
                components=_components(candidate, industry, view.read.industry_code),
                explanation=MatchExplanation(
                    terms_found=why.terms_found, best_sentence=why.best_sentence
                ),
                feedback=verdicts.get(candidate.id),
                royalty=royalty.brief_for_request(
                    view.royalty,
                    tables=royalty_tables,
                    listing_id=candidate.id,
                    licensee_industry=industry,
                    annual_sales_yuan=annual_sales_yuan,
                    budget_yuan=budget_yuan,
                    given_by=given_by,
                ),
            )
        )
    return ListingMatchPage(
        items=items,
        total=ranked.eligible,
        limit=limit,
        offset=offset,
        index_version=index_version(engine),
    )


def _components(
    candidate: Candidate, query_industry: str | None, industry: str | None
) -> ScoreComponents:
    return ScoreComponents(
        semantic=None if candidate.semantic is None else round(candidate.semantic, 6),
        lexical=None if candidate.lexical is None else round(candidate.lexical, 6),
        classification=classification_fit(query_industry, industry),
    )


def match_listing(
    *, session: Session, engine: SearchEngine, listing: Listing, limit: int, offset: int
) -> DemandMatchPage:
    """Rank the open public demands that a listing could answer, for its TTO's outreach.

    Private demands are never shown here: only their owner sees them, and a listing's
    holder is a university, never the owner of an enterprise's demand.
    """
    model_id = engine.embedder.model_id
    stored = embeddings.listing_vectors(session=session, ids=[listing.id], model_id=model_id)
    if listing.id not in stored:
        embeddings.embed_listings(session=session, listings=[listing], embedder=engine.embedder)
        stored = embeddings.listing_vectors(session=session, ids=[listing.id], model_id=model_id)
    vector = stored[listing.id]
    open_public = list(
        session.scalars(
            select(Demand).where(
                Demand.status == DemandStatus.OPEN, Demand.visibility == Visibility.PUBLIC
            )
        )
    )
    if not open_public:
        return DemandMatchPage(
            items=[], total=0, limit=limit, offset=offset, index_version=index_version(engine)
        )
    vectors = embeddings.demand_vectors(
        session=session, demand_ids=[d.id for d in open_public], model_id=model_id
    )
    for demand in open_public:
        if demand.id not in vectors:
            vectors[demand.id] = embeddings.demand_vector(
                session=session, demand=demand, embedder=engine.embedder
            )
    matrix = np.stack([vectors[d.id] for d in open_public])
    similarity = matrix @ vector
    order = np.lexsort((np.array([d.id for d in open_public]), -similarity))
    dense = [(open_public[i].id, float(similarity[i])) for i in order]
    by_id = {d.id: d for d in open_public}
    lexical_scores: dict[int, float] = {}
    for demand_id, _ in dense[:_REVERSE_LEXICAL_DEPTH]:
        tokens = engine.tokenizer.analyse_query(embeddings.demand_query(by_id[demand_id])).tokens
        lexical_scores[demand_id] = _lexical_score(engine, tokens, listing.id)
    lexical = sorted(
        ((i, s) for i, s in lexical_scores.items() if s > 0), key=lambda item: (-item[1], item[0])
    )
    fused = fuse(dense, lexical, lexical_weight=LEXICAL_WEIGHT)
    common = engine.catalogue.common_term_idf()
    text = listing_text(listing.title, listing.abstract, listing.claims)
    items = []
    for candidate in fused[offset : offset + limit]:
        demand = by_id[candidate.id]
        query = embeddings.demand_query(demand)
        why = explain(
            engine.tokenizer.analyse_query(query).terms,
            text,
            sentences(text),
            engine.catalogue.idf,
            query,
            min_weight=common,
        )
        items.append(
            DemandMatch(
                demand=demands.to_read(demand),
                score=round(candidate.score, 6),
                components=_components(candidate, demand.industry_code, listing.industry_code),
                explanation=MatchExplanation(
                    terms_found=why.terms_found, best_sentence=why.best_sentence
                ),
            )
        )
    return DemandMatchPage(
        items=items,
        total=len(open_public),
        limit=limit,
        offset=offset,
        index_version=index_version(engine),
    )


def _lexical_score(engine: SearchEngine, tokens: Sequence[str], listing_id: int) -> float:
    scores = engine.catalogue.lexical_scores(tokens, [listing_id])
    return scores.get(listing_id, 0.0)


def record_feedback(
    *, session: Session, organisation_id: int, api_key_id: int, data: FeedbackCreate
) -> Feedback:
    """Record (or change) an SME's verdict on a listing shown for one of its demands."""
    demands.get_own(session=session, demand_id=data.demand_id, organisation_id=organisation_id)
    if session.get(Listing, data.listing_id) is None:
        raise NotFound(
            tr(
                "专利挂牌 {id} 不存在；请填写匹配结果中出现的挂牌编号",
                "listing {id} does not exist",
                id=data.listing_id,
            ),
            loc=("body", "listing_id"),
        )
    feedback = session.scalar(
        select(Feedback).where(
            Feedback.demand_id == data.demand_id, Feedback.listing_id == data.listing_id
        )
    )
    now = utcnow()
    if feedback is None:
        feedback = Feedback(demand_id=data.demand_id, listing_id=data.listing_id, created_at=now)
        session.add(feedback)
    feedback.verdict = data.verdict
    feedback.reason = data.reason
    feedback.api_key_id = api_key_id
    feedback.updated_at = now
    session.flush()
    return feedback
