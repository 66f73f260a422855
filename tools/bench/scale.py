"""Step 2, scale: the database's organisations, growing it to a size, and its index snapshot."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from app.core.db import session_scope
from app.models import Listing, ListingEmbedding, ListingStatus, OrganisationKind, Role
from app.schemas import ListingCreate
from app.search import embeddings, snapshots
from app.search.sync import facts_of
from app.services import keys, organisations
from app.services.listings import service as listings
from matching.embedder import Embedder
from matching.index import VectorIndex
from matching.lexical import LexicalIndex
from matching.text import content_hash
from tools.bench.data import PROVINCES, Award, Corpus, Matrix, listing_record, perturb
from tools.bench.options import BenchError
from tools.progress import track

_INSERT_CHUNK = 2_000


@dataclass(frozen=True)
class Actors:
    university_id: int
    holder_ids: list[int]
    sme_key: str


def prepare_actors(factory: sessionmaker[Session]) -> Actors:
    with session_scope(factory) as session:
        existing = session.scalar(select(func.count()).select_from(Listing))
        if existing:
            raise BenchError(
                f"the benchmark database already holds {existing} listings; give an empty one"
            )
        university = organisations.ensure(
            session=session, name="基准大学", kind=OrganisationKind.UNIVERSITY, province="北京市"
        )
        holders = [
            organisations.ensure(
                session=session,
                name=f"基准大学 {number:02d}",
                kind=OrganisationKind.UNIVERSITY,
                province=PROVINCES[number % len(PROVINCES)][0],
            ).id
            for number in range(1, 21)
        ]
        sme = organisations.ensure(
            session=session, name="基准企业", kind=OrganisationKind.ENTERPRISE, province="广东省"
        )
        key = keys.create(session=session, organisation=sme, role=Role.SME, label="bench")
        return Actors(university_id=university.id, holder_ids=holders, sme_key=key.plaintext)


_LISTING_COLUMNS = tuple(c.key for c in Listing.__table__.columns if c.key != "id")


def grow(
    *,
    factory: sessionmaker[Session],
    corpus: Corpus,
    target: int,
    awards: Sequence[Award],
    holder_ids: Sequence[int],
    embedder: Embedder,
    noise: float,
    rng: np.random.Generator,
    seed: int,
    newest_bulk: datetime,
    spacing: timedelta,
) -> float:
    """Add rows until the database holds `target` listings; return the seconds it took.

    Texts are further real awards (reused in turn once all are taken); vectors are perturbed
    copies of the real ones. Rows are stamped in the past, `spacing` apart, as a catalogue
    built up over time would be, so the server's catch-up window holds only the import.
    """
    if corpus.real is None:
        raise BenchError("no real vectors to copy: the import step wrote none")
    started = time.perf_counter()
    today = date.today()
    first = len(corpus) + 1
    starts = range(first, target + 1, _INSERT_CHUNK)
    for start in track(starts, total=len(starts), label=f"growing to {target:,}"):
        serials = range(start, min(start + _INSERT_CHUNK, target + 1))
        rows: list[Listing] = []
        for serial in serials:
            award = awards[(serial - 1) % len(awards)]
            data = ListingCreate.model_validate(
                listing_record(award, serial, seed=seed, today=today)
            )
            stamp = newest_bulk - spacing * (target - serial)
            listing = Listing(
                organisation_id=holder_ids[serial % len(holder_ids)],
                status=ListingStatus.ACTIVE,
                version=1,
                created_at=stamp,
                updated_at=stamp,
            )
            listings.apply(listing, data)  # the derived columns, exactly as the service sets them
            rows.append(listing)
        vectors = vectors_for(corpus.real, serials, len(awards), noise, rng, corpus)
        passages = [embeddings.listing_passage(row) for row in rows]
        ids = insert_listings(factory, rows, vectors, embedder, passages)
        tokens = []
        for listing_id, serial, passage, row in zip(ids, serials, passages, rows, strict=True):
            row.id = listing_id
            corpus.facts.upsert(facts_of(row))
            tokens.append(corpus.tokens_of((serial - 1) % len(awards), passage))
        corpus.add(ids, vectors, tokens)
    return time.perf_counter() - started


def insert_listings(
    factory: sessionmaker[Session],
    rows: list[Listing],
    vectors: Matrix,
    embedder: Embedder,
    passages: list[str] | None = None,
) -> list[int]:
    """Bulk-insert listing rows and their stored vectors in one transaction; return the ids."""
    if not rows:
        return []  # an empty parameter list would insert one row of defaults
    if passages is None:
        passages = [embeddings.listing_passage(row) for row in rows]
    with session_scope(factory) as session:
        ids = list(
            session.scalars(
                insert(Listing).returning(Listing.id, sort_by_parameter_order=True),
                [{name: getattr(row, name) for name in _LISTING_COLUMNS} for row in rows],
            )
        )
        session.execute(
            insert(ListingEmbedding),
            [
                {
                    "listing_id": listing_id,
                    "model_id": embedder.model_id,
                    "text_hash": content_hash(passage),
                    "dimension": embedder.dimension,
                    "vector": embeddings.to_bytes(vector),
                    "created_at": row.created_at,
                }
                for listing_id, passage, vector, row in zip(
                    ids, passages, vectors, rows, strict=True
                )
            ],
        )
    return ids


def vectors_for(
    real: Matrix,
    serials: range,
    award_count: int,
    noise: float,
    rng: np.random.Generator,
    corpus: Corpus,
) -> Matrix:
    """Vectors for rows `serials`: the text's own real vector on its first use, else a copy."""
    awards = np.array([(serial - 1) % award_count for serial in serials], dtype=np.int64)
    first_use = np.array([serial <= award_count for serial in serials], dtype=np.bool_)
    has_real = awards < real.shape[0]
    # A reused text's copy perturbs that text's own vector; a text never embedded copies a
    # random real one (its lexical and dense matches then disagree, as noise would).
    sources = np.where(has_real, awards, rng.integers(0, real.shape[0], size=awards.size))
    vectors = real[sources].copy()
    copy = ~(has_real & first_use)
    if copy.any():
        vectors[copy] = perturb(real[sources[copy]], noise, rng)
        corpus.cosine_sum += float(np.einsum("ij,ij->", real[sources[copy]], vectors[copy]))
        corpus.perturbed += int(copy.sum())
    return vectors


@dataclass(frozen=True)
class _Built:
    index: VectorIndex
    index_seconds: float
    lexical_seconds: float
    snapshot_seconds: float


def write_snapshot(
    *,
    factory: sessionmaker[Session],
    corpus: Corpus,
    index_dir: Path,
    model_id: str,
    flat_threshold: int,
) -> _Built:
    """Build the vector and BM25 indexes of the whole corpus and make them the live snapshot."""
    started = time.perf_counter()
    index = VectorIndex.build(
        np.array(corpus.ids, dtype=np.int64), corpus.matrix(), flat_threshold=flat_threshold
    )
    built = time.perf_counter()
    lexical = LexicalIndex.build(corpus.ids, corpus.tokens)
    lexical_done = time.perf_counter()
    with session_scope(factory) as session:
        watermark = session.scalar(
            select(Listing.updated_at).order_by(Listing.updated_at.desc()).limit(1)
        )
    staged = snapshots.stage(index_dir, index, lexical, model_id=model_id, watermark=watermark)
    snapshots.switch(index_dir, staged.name)
    return _Built(
        index=index,
        index_seconds=round(built - started, 3),
        lexical_seconds=round(lexical_done - built, 3),
        snapshot_seconds=round(time.perf_counter() - lexical_done, 3),
    )
