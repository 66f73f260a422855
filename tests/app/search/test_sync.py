"""Catching up with other processes' writes: what a pass reads, and what it must not miss."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.ingest.readers import DEFAULT_LIMITS
from app.models import Listing, utcnow
from app.search import sync
from app.search.catalogue import Catalogue
from app.services.imports import service as imports
from matching.embedder import HashingEmbedder, Vectors
from matching.text import Tokenizer
from tests.app.import_files import to_csv, valid_row
from tests.app.search.reindex.helpers import TOKENIZER, add_listing, backdate
from tests.factories import Actors

EMBEDDER = HashingEmbedder(64)
OVERLAP = timedelta(seconds=60)


@pytest.fixture()
def rows_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the ids of the rows each catch-up pass hands on to be applied."""
    read: list[int] = []
    apply_rows = sync._apply_rows

    def recording(
        session: Session, catalogue: Catalogue, rows: Sequence[sync.FactRow], tokenizer: Tokenizer
    ) -> int:
        read.extend(row.id for row in rows)
        return apply_rows(session, catalogue, rows, tokenizer)

    monkeypatch.setattr(sync, "_apply_rows", recording)
    return read


def loaded(session: Session) -> Catalogue:
    catalogue = Catalogue(model_id=EMBEDDER.model_id, dimension=EMBEDDER.dimension)
    sync.load(
        session=session,
        catalogue=catalogue,
        embedder=EMBEDDER,
        tokenizer=TOKENIZER,
        index_dir=None,
    )
    return catalogue


def catch_up(session: Session, catalogue: Catalogue) -> int:
    return sync.catch_up(session=session, catalogue=catalogue, tokenizer=TOKENIZER, overlap=OVERLAP)


def test_a_pass_after_a_quiet_spell_reads_no_rows(
    session: Session, actors: Actors, rows_read: list[int]
) -> None:
    # The newest writes are ten minutes old: reaching back from them would read them every pass.
    old = [add_listing(session, actors.tto.organisation, embedder=EMBEDDER) for _ in range(3)]
    for listing in old:
        backdate(session, listing.id, updated_at=utcnow() - timedelta(minutes=10))
    catalogue = loaded(session)

    assert catch_up(session, catalogue) == 0
    assert catch_up(session, catalogue) == 0

    assert rows_read == []
    assert all(listing.id in catalogue for listing in old)


def test_a_row_committed_after_a_pass_with_an_earlier_change_time_is_still_found(
    session: Session, actors: Actors, rows_read: list[int]
) -> None:
    catalogue = loaded(session)
    assert catch_up(session, catalogue) == 0
    assert catalogue.read_at is not None

    # Another process stamped this row inside its transaction, 30 s before this process's
    # last pass, and committed only after that pass.
    late = add_listing(session, actors.tto.organisation, embedder=EMBEDDER)
    backdate(session, late.id, updated_at=catalogue.read_at - timedelta(seconds=30))

    assert catch_up(session, catalogue) == 1
    assert late.id in catalogue
    assert catch_up(session, catalogue) == 0  # held at its version: read, not applied again
    assert rows_read == [late.id, late.id]


def test_the_floor_follows_the_last_read_not_the_newest_write(
    session: Session, actors: Actors
) -> None:
    listing = add_listing(session, actors.tto.organisation, embedder=EMBEDDER)
    backdate(session, listing.id, updated_at=utcnow() - timedelta(hours=2))
    catalogue = loaded(session)
    assert catalogue.watermark is not None and catalogue.read_at is not None

    before = utcnow()
    catch_up(session, catalogue)

    floor = catalogue.catch_up_floor(OVERLAP)
    assert floor is not None
    assert floor >= before - OVERLAP
    assert catalogue.watermark < floor  # the two-hour-old write is outside the window


def test_without_a_read_the_floor_reaches_back_from_the_watermark() -> None:
    catalogue = Catalogue(model_id="m", dimension=4)
    assert catalogue.catch_up_floor(OVERLAP) is None

    stamp = utcnow() - timedelta(days=1)
    catalogue.advance_watermark(stamp)

    assert catalogue.catch_up_floor(OVERLAP) == stamp - OVERLAP


class _ClockedEmbedder(HashingEmbedder):
    """Notes the time it finishes embedding a batch, as a long import's embedding would end."""

    def __init__(self) -> None:
        super().__init__(64)
        self.finished = utcnow()

    def embed_passages(self, texts: Sequence[str]) -> Vectors:
        vectors = super().embed_passages(texts)
        self.finished = utcnow()
        return vectors


def test_an_import_stamps_its_rows_when_it_is_ready_to_commit(
    session: Session, actors: Actors
) -> None:
    # Stamped when the import began, the rows of an import that embeds for minutes would fall
    # behind other processes' catch-up window before they were committed.
    embedder = _ClockedEmbedder()
    outcome = imports.import_listings(
        session=session,
        organisation=actors.tto.organisation,
        content=to_csv([valid_row(i) for i in range(3)]),
        filename="listings.csv",
        dry_run=False,
        all_or_nothing=False,
        limits=DEFAULT_LIMITS,
        embedder=embedder,
    )
    session.commit()

    assert outcome.report.created == 3
    written = session.scalars(select(Listing).where(Listing.id.in_(outcome.listing_ids))).all()
    assert len(written) == 3
    assert all(listing.updated_at >= embedder.finished for listing in written)
