"""Reverse matches: the open public demands a listing could answer, for its TTO's outreach."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Demand, DemandStatus, Listing, Visibility
from app.schemas import DemandMatch, DemandMatchPage, MatchExplanation
from app.search import embeddings
from app.search.catalogue import LEXICAL_WEIGHT
from app.search.engine import SearchEngine
from app.services import demands
from app.services.matches import ranking
from matching.ranking import explain, fuse
from matching.text import listing_text, sentences

# Reverse matching ranks every open public demand by similarity, then scores terms for the
# best of them only: tokenising every demand for every request would dominate the cost.
_LEXICAL_DEPTH = 200


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
            items=[],
            total=0,
            limit=limit,
            offset=offset,
            index_version=ranking.index_version(engine),
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
    for demand_id, _ in dense[:_LEXICAL_DEPTH]:
        tokens = engine.tokenizer.analyse_query(embeddings.demand_query(by_id[demand_id])).tokens
        found = engine.catalogue.lexical_scores(tokens, [listing.id])
        lexical_scores[demand_id] = found.get(listing.id, 0.0)
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
                components=ranking.components(
                    candidate, demand.industry_code, listing.industry_code
                ),
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
        index_version=ranking.index_version(engine),
    )
