"""Embedding vectors in the database: each text embedded once per model, in batches.

The database is the source of truth for vectors too: an index snapshot can always be rebuilt
from these rows without embedding anything again.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.models import Demand, DemandEmbedding, Listing, ListingEmbedding
from matching.embedder import Embedder
from matching.text import content_hash, demand_text, listing_text

Vector = npt.NDArray[np.float32]
_IN_CHUNK = 500


def listing_passage(listing: Listing) -> str:
    """Return the text embedded for a listing: title, abstract and first claim."""
    return listing_text(listing.title, listing.abstract, listing.claims)


def demand_query(demand: Demand) -> str:
    """Return the text embedded for a demand: title and description."""
    return demand_text(demand.title, demand.description)


def to_bytes(vector: Vector) -> bytes:
    """Return a vector as the bytes stored in the database (float32, little-endian)."""
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def from_bytes(blob: bytes, dimension: int) -> Vector:
    """Return the vector stored in `blob`."""
    vector = np.frombuffer(blob, dtype="<f4")
    if vector.shape != (dimension,):
        raise ValueError(f"stored vector has {vector.size} values, expected {dimension}")
    return vector.astype(np.float32)


def embed_listings(
    *, session: Session, listings: Sequence[Listing], embedder: Embedder, batch_size: int = 64
) -> int:
    """Store a vector for every listing whose text has none under this model; return how many.

    Texts go to the model in batches of `batch_size`, never one per call.
    """
    if not listings:
        return 0
    stored = _stored_listing_hashes(session, [item.id for item in listings], embedder.model_id)
    todo: list[tuple[Listing, str, str]] = []
    for listing in listings:
        text = listing_passage(listing)
        digest = content_hash(text)
        if stored.get(listing.id) != digest:
            todo.append((listing, text, digest))
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        vectors = embedder.embed_passages([text for _, text, _ in batch])
        for (listing, _, digest), vector in zip(batch, vectors, strict=True):
            session.merge(
                ListingEmbedding(
                    listing_id=listing.id,
                    model_id=embedder.model_id,
                    text_hash=digest,
                    dimension=embedder.dimension,
                    vector=to_bytes(vector),
                )
            )
    session.flush()
    return len(todo)


def _stored_listing_hashes(session: Session, ids: list[int], model_id: str) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        rows = session.execute(
            select(ListingEmbedding.listing_id, ListingEmbedding.text_hash).where(
                ListingEmbedding.model_id == model_id,
                ListingEmbedding.listing_id.in_(ids[start : start + _IN_CHUNK]),
            )
        )
        found.update({row.listing_id: row.text_hash for row in rows})
    return found


def _stored_vectors(
    session: Session,
    table: type[ListingEmbedding] | type[DemandEmbedding],
    owner: InstrumentedAttribute[int],
    ids: Sequence[int],
    model_id: str,
) -> dict[int, Vector]:
    found: dict[int, Vector] = {}
    id_list = list(ids)
    for start in range(0, len(id_list), _IN_CHUNK):
        rows = session.execute(
            select(owner, table.vector, table.dimension).where(
                table.model_id == model_id, owner.in_(id_list[start : start + _IN_CHUNK])
            )
        )
        found.update({i: from_bytes(blob, dim) for i, blob, dim in rows})
    return found


def listing_vectors(*, session: Session, ids: Sequence[int], model_id: str) -> dict[int, Vector]:
    """Return the stored vectors of `ids` under `model_id` (listings without one are absent)."""
    return _stored_vectors(session, ListingEmbedding, ListingEmbedding.listing_id, ids, model_id)


def demand_vector(*, session: Session, demand: Demand, embedder: Embedder) -> Vector:
    """Return a demand's query vector, embedding and storing it only if its text is new."""
    row = session.get(DemandEmbedding, (demand.id, embedder.model_id))
    return demand_vector_from(session=session, demand=demand, embedder=embedder, row=row)


def demand_vector_from(
    *, session: Session, demand: Demand, embedder: Embedder, row: DemandEmbedding | None
) -> Vector:
    """Return a demand's query vector given its stored row (if any) under the running model."""
    text = demand_query(demand)
    digest = content_hash(text)
    if row is not None and row.text_hash == digest:
        return from_bytes(row.vector, row.dimension)
    vector: Vector = embedder.embed_queries([text])[0]
    session.merge(
        DemandEmbedding(
            demand_id=demand.id,
            model_id=embedder.model_id,
            text_hash=digest,
            dimension=embedder.dimension,
            vector=to_bytes(vector),
        )
    )
    session.flush()
    return vector


def demand_vectors(
    *, session: Session, demand_ids: Sequence[int], model_id: str
) -> dict[int, Vector]:
    """Return the stored query vectors of several demands under `model_id`."""
    return _stored_vectors(
        session, DemandEmbedding, DemandEmbedding.demand_id, demand_ids, model_id
    )
