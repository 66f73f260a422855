"""What the re-index builds from: the active listings with a stored vector, and their tokens.

`read_plan` lists them (id, version, text hash) cheaply, so the job can tell whether anything
changed since the live snapshot before reading 150 MB of vectors; `read_vectors` then reads
those vectors in one streamed pass; `gather_tokens` reuses the live snapshot's tokens for
every unchanged text and tokenises only the rest.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.core.progress import progress_bar
from app.models import Listing, ListingEmbedding, ListingStatus
from app.search.documents import Documents
from app.search.embeddings import from_bytes
from matching.lexical import LexicalIndex
from matching.text import Tokenizer, listing_text

log = logging.getLogger(__name__)

_STREAM = 2_000
_IN_CHUNK = 500
# The BM25 delta (scored with statistics frozen at the last full build) may hold this share of
# the listings, or this many, before a re-index builds BM25 in full again.
LEXICAL_DELTA_SHARE = 0.05
LEXICAL_DELTA_MIN = 1_000
# Part of the token cache key: bump it when matching.text changes how texts are tokenised.
TOKENIZER_VERSION = "jieba-search-1"

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Plan:
    """The listings a new snapshot holds, sorted by id, and the newest change time it covers."""

    ids: npt.NDArray[np.int64]
    versions: npt.NDArray[np.int64]
    text_hashes: list[str]
    watermark: datetime | None

    def __len__(self) -> int:
        return len(self.ids)

    def same_content(self, documents: Documents) -> bool:
        """Return True when the manifest holds exactly these listing versions and texts."""
        return (
            np.array_equal(self.ids, documents.ids)
            and np.array_equal(self.versions, documents.versions)
            and self.text_hashes == documents.text_hashes
        )


def tokenizer_fingerprint(user_dict: Path | None) -> str:
    """Return what the tokens depend on: the tokenizer version and the user dictionary."""
    if user_dict is None:
        return TOKENIZER_VERSION
    return f"{TOKENIZER_VERSION}:{hashlib.sha256(user_dict.read_bytes()).hexdigest()[:16]}"


def read_plan(session: Session, model_id: str) -> Plan:
    """Return the active listings that have a vector under `model_id`."""
    # Read first: a row that changes while the plan is read gets a later updated_at, so every
    # API process still applies it on catch-up.
    watermark = session.scalar(select(Listing.updated_at).order_by(Listing.updated_at.desc()))
    rows = session.execute(
        select(Listing.id, Listing.version, ListingEmbedding.text_hash)
        .join(
            ListingEmbedding,
            and_(ListingEmbedding.listing_id == Listing.id, ListingEmbedding.model_id == model_id),
        )
        .where(Listing.status == ListingStatus.ACTIVE)
        .order_by(Listing.id)
        .execution_options(yield_per=_STREAM)
    ).all()
    return Plan(
        ids=np.array([r.id for r in rows], dtype=np.int64),
        versions=np.array([r.version for r in rows], dtype=np.int64),
        text_hashes=[r.text_hash for r in rows],
        watermark=watermark,
    )


def read_vectors(
    session: Session, plan: Plan, model_id: str, dimension: int
) -> tuple[Plan, Matrix]:
    """Return the plan narrowed to the listings still readable, and their vectors in id order.

    A listing withdrawn since the plan was read is dropped; one whose text changed keeps the
    vector read now, and the manifest records that vector's text hash.
    """
    matrix = np.empty((len(plan), dimension), dtype=np.float32)
    found = np.zeros(len(plan), dtype=np.bool_)
    hashes = list(plan.text_hashes)
    rows = session.execute(
        select(ListingEmbedding.listing_id, ListingEmbedding.text_hash, ListingEmbedding.vector)
        .join(Listing, Listing.id == ListingEmbedding.listing_id)
        .where(ListingEmbedding.model_id == model_id, Listing.status == ListingStatus.ACTIVE)
        .order_by(ListingEmbedding.listing_id)
        .execution_options(yield_per=_STREAM)
    )
    for listing_id, text_hash, blob in rows:
        position = int(np.searchsorted(plan.ids, listing_id))
        if position < len(plan) and plan.ids[position] == listing_id:
            matrix[position] = from_bytes(blob, dimension)
            found[position] = True
            hashes[position] = text_hash
    if found.all():
        return replace(plan, text_hashes=hashes), matrix
    keep = np.flatnonzero(found)
    narrowed = Plan(
        ids=plan.ids[keep],
        versions=plan.versions[keep],
        text_hashes=[hashes[i] for i in keep.tolist()],
        watermark=plan.watermark,
    )
    return narrowed, matrix[keep]


def gather_tokens(
    session: Session,
    plan: Plan,
    *,
    previous: Documents | None,
    tokenizer: Tokenizer,
    fingerprint: str,
    progress: bool = False,
) -> tuple[list[list[str]], int]:
    """Return the tokens of every planned listing and how many had to be tokenised afresh."""
    cache = previous.tokens_by_hash(fingerprint) if previous is not None else {}
    ids = plan.ids.tolist()
    tokens: list[list[str] | None] = [cache.get(h) for h in plan.text_hashes]
    # Tokens depend on the text alone: one tokenisation serves every listing with that text.
    first_of: dict[str, int] = {}
    for position, (digest, known) in enumerate(zip(plan.text_hashes, tokens, strict=True)):
        if known is None:
            first_of.setdefault(digest, position)
    missing = list(first_of.values())
    started = time.perf_counter()
    with progress_bar(len(missing), enabled=progress, desc="tokenising") as advance:
        for start in range(0, len(missing), _IN_CHUNK):
            _tokenise(session, tokenizer, ids, tokens, missing[start : start + _IN_CHUNK])
            advance(min(_IN_CHUNK, len(missing) - start))
    for position, digest in enumerate(plan.text_hashes):
        if tokens[position] is None:
            tokens[position] = tokens[first_of[digest]]
    if missing:
        log.info(
            "listings tokenised",
            extra={
                "tokenised": len(missing),
                "reused": len(ids) - len(missing),
                "seconds": round(time.perf_counter() - started, 3),
            },
        )
    return [t if t is not None else [] for t in tokens], len(missing)


def _tokenise(
    session: Session,
    tokenizer: Tokenizer,
    ids: list[int],
    tokens: list[list[str] | None],
    positions: list[int],
) -> None:
    texts = {
        row.id: listing_text(row.title, row.abstract, row.claims)
        for row in session.execute(
            select(Listing.id, Listing.title, Listing.abstract, Listing.claims).where(
                Listing.id.in_([ids[p] for p in positions])
            )
        )
    }
    for position in positions:
        # Interned: the same few thousand words recur across 100k documents.
        tokens[position] = [sys.intern(t) for t in tokenizer.tokens(texts.get(ids[position], ""))]


def lexical_index(
    plan: Plan,
    tokens: list[list[str]],
    *,
    previous: Documents | None,
    previous_dir: Path | None,
    fingerprint: str,
) -> tuple[LexicalIndex, int]:
    """Return the BM25 index of the plan and the size of its delta.

    Building BM25 over 100k listings takes ~40 s on these machines; a night changes a few
    texts. So the live snapshot's index is reused with the changed texts applied to its delta,
    until the delta passes `LEXICAL_DELTA_SHARE` of the listings and a full build folds it in.
    """
    ids = plan.ids.tolist()
    if previous is None or previous_dir is None or previous.tokenizer != fingerprint:
        return LexicalIndex.build(ids, tokens), 0
    before = dict(zip(previous.ids.tolist(), previous.text_hashes, strict=True))
    changed = [
        position
        for position, (listing_id, digest) in enumerate(zip(ids, plan.text_hashes, strict=True))
        if before.get(listing_id) != digest
    ]
    delta = previous.lexical_delta + len(changed)
    if delta > max(LEXICAL_DELTA_MIN, LEXICAL_DELTA_SHARE * len(ids)):
        return LexicalIndex.build(ids, tokens), 0
    try:
        lexical = LexicalIndex.load(previous_dir)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("previous BM25 index unreadable; building afresh", extra={"error": str(exc)})
        return LexicalIndex.build(ids, tokens), 0
    kept = set(ids)
    for listing_id in previous.ids.tolist():
        if listing_id not in kept:
            lexical.remove(listing_id)
    for position in changed:
        lexical.upsert(ids[position], tokens[position])
    return lexical, delta
