"""The nightly re-index: database → (re)embed what changed → build → snapshot → switch.

Steps, under `ReindexLock` (one run at a time, stale locks impossible):

1. clean up after a killed run (half-written snapshot directories, `building` rows);
2. expire listings whose patent or licence term ended (`app.search.reindex.expiry`);
3. embed every active listing whose vector is missing or stale under the running model, in
   batches committed one by one (`app.search.reindex.embed`): a model change re-embeds
   everything, resumably;
4. compare what would be indexed with the live snapshot's manifest; when nothing changed,
   record an `unchanged` run and stop (seconds, no new snapshot);
5. otherwise read the stored vectors, reuse or compute tokens, build FAISS (flat up to
   `FLAT_INDEX_MAX`, HNSW above) and BM25, write a new snapshot directory and switch
   `CURRENT` to it atomically; API processes notice and swap it in (`app.search.engine`);
6. record the run, delete all but the newest `SNAPSHOTS_KEEP` snapshots, and call the
   after-re-index hook (alerts on new matches).

A crash anywhere leaves the previous snapshot live and the database consistent: the database
is only written in committed steps that are each valid on their own, and the snapshot only
becomes live by one atomic rename of `CURRENT`.

Errors::

    ReindexBusy     another run holds the lock (the script exits 75, "try again later")
    anything else   the run failed; its row says why (the script exits 1)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.db import session_scope
from app.search import documents, snapshots
from app.search import versions as index_versions
from app.search.reindex import build as reindex_build
from app.search.reindex import embed as reindex_embed
from app.search.reindex import expiry as lifecycle
from app.search.reindex import hooks as reindex_hooks
from app.search.reindex.hooks import AfterSwitch, ReindexOutcome
from app.search.reindex.lock import ReindexBusy, ReindexLock, bind_of
from matching.embedder import Embedder
from matching.index import SnapshotError, VectorIndex
from matching.text import Tokenizer

__all__ = ["AfterSwitch", "ReindexBusy", "ReindexOutcome", "ReindexResult", "STAGES", "run"]

log = logging.getLogger(__name__)

# Named points a test can pause the job at (`on_stage`), in the order they are reached.
STAGES = (
    "locked",
    "expired",
    "embedded-batch",
    "embedded",
    "building",
    "writing",
    "staged",
    "switched",
    "done",
)

StageHook = Callable[[str], None]
# How far before the last good run's start the text check reaches: a write that committed
# after that run read the listings can carry an updated_at up to a transaction's length older.
TEXT_CHECK_OVERLAP = timedelta(hours=1)


@dataclass(frozen=True)
class ReindexResult:
    """What one run did; `summary()` is the line cron mails."""

    version_id: int
    changed: bool
    snapshot: str | None
    index_type: str
    listings: int
    embedded: int
    expired: int
    tokenised: int
    embed_seconds: float
    build_seconds: float
    seconds: float
    watermark: datetime | None
    cleaned: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """Return one line saying what happened."""
        head = (
            f"reindex ok: version {self.version_id}, new snapshot {self.snapshot}"
            if self.changed
            else f"reindex ok: version {self.version_id}, nothing changed, "
            f"snapshot {self.snapshot} stays live"
        )
        return (
            f"{head}; {self.listings} listings ({self.index_type}), {self.embedded} embedded, "
            f"{self.expired} expired, {self.tokenised} tokenised; {self.seconds:.1f} s"
        )


def run(
    *,
    settings: Settings,
    factory: sessionmaker[Session],
    embedder: Embedder,
    tokenizer: Tokenizer,
    progress: bool = False,
    force: bool = False,
    today: date | None = None,
    on_stage: StageHook | None = None,
    after_switch: AfterSwitch | None,
    lock: ReindexLock | None = None,
) -> ReindexResult:
    """Run the re-index once; see the module docstring.

    Args:
        settings: INDEX_DIR, FLAT_INDEX_MAX, SNAPSHOTS_KEEP, REINDEX_BATCH, JIEBA_USER_DICT.
        factory: sessions on the database (each step commits its own).
        embedder: the running model; vectors of other models are ignored.
        tokenizer: the BM25 tokenizer the API processes use.
        progress: show progress bars on a terminal.
        force: build a new snapshot even when nothing changed.
        today: the date the lifecycle step expires against (tests).
        on_stage: called with each name in STAGES as it is reached (tests pause here).
        after_switch: called after a new snapshot went live (the alerts), or None.
        lock: an already acquired lock to use and release (the API's background rebuild).

    Returns:
        What the run did.

    Raises:
        ReindexBusy: another run holds the lock.
    """
    started = time.perf_counter()
    stage = on_stage or (lambda _name: None)
    held = lock or ReindexLock(settings.index_dir, bind_of(factory))
    if lock is None:
        held.acquire()
    try:
        stage("locked")
        cleaned = snapshots.clean_partial(settings.index_dir)
        with session_scope(factory) as session:
            index_versions.fail_interrupted(session=session)
            version_id = index_versions.start(
                session=session, model_id=embedder.model_id, dimension=embedder.dimension
            ).id
        try:
            return _run(
                version_id=version_id,
                settings=settings,
                factory=factory,
                embedder=embedder,
                tokenizer=tokenizer,
                progress=progress,
                force=force,
                today=today or date.today(),
                stage=stage,
                after_switch=after_switch,
                started=started,
                cleaned=cleaned,
            )
        except Exception as exc:
            log.exception("re-index failed", extra={"version": version_id})
            with session_scope(factory) as session:
                index_versions.fail(
                    session=session, version_id=version_id, error=f"{type(exc).__name__}: {exc}"
                )
            raise
    finally:
        held.release()


def _run(
    *,
    version_id: int,
    settings: Settings,
    factory: sessionmaker[Session],
    embedder: Embedder,
    tokenizer: Tokenizer,
    progress: bool,
    force: bool,
    today: date,
    stage: StageHook,
    after_switch: AfterSwitch | None,
    started: float,
    cleaned: list[str],
) -> ReindexResult:
    index_dir = settings.index_dir
    with session_scope(factory) as session:
        expired = lifecycle.expire(session=session, today=today)
    if expired.total:
        log.info(
            "listings expired",
            extra={"patent_term": expired.patent_term, "licence_term": expired.licence_term},
        )
    stage("expired")
    with session_scope(factory) as session:
        previous_run = index_versions.last_ready(session=session)
    embedded = reindex_embed.embed_stale(
        factory=factory,
        embedder=embedder,
        batch_size=settings.reindex_batch,
        progress=progress,
        # Texts changed since the last good run began, with room for commits in flight then.
        since=previous_run.started_at - TEXT_CHECK_OVERLAP if previous_run else None,
        on_batch=lambda _n: stage("embedded-batch"),
    )
    stage("embedded")
    build_started = time.perf_counter()
    live, previous = _live(index_dir, embedder)
    with session_scope(factory) as session:
        plan = reindex_build.read_plan(session, embedder.model_id)
    kind = "flat" if len(plan) <= settings.flat_index_max else "hnsw"
    unchanged = (
        not force
        and live is not None
        and previous is not None
        and live[1] == kind
        and plan.same_content(previous)
    )
    if unchanged and live is not None:
        return _unchanged(
            version_id, factory, live[0], kind, plan, embedded, expired, started, cleaned, index_dir
        )
    fingerprint = reindex_build.tokenizer_fingerprint(settings.jieba_user_dict)
    with session_scope(factory) as session:
        plan, vectors = reindex_build.read_vectors(
            session, plan, embedder.model_id, embedder.dimension
        )
        tokens, tokenised = reindex_build.gather_tokens(
            session,
            plan,
            previous=previous,
            tokenizer=tokenizer,
            fingerprint=fingerprint,
            progress=progress,
        )
    stage("building")
    index = VectorIndex.build(plan.ids, vectors, flat_threshold=settings.flat_index_max)
    del vectors  # the index holds its own copy; 150 MB at 100k
    lexical, lexical_delta = reindex_build.lexical_index(
        plan,
        tokens,
        previous=previous,
        previous_dir=snapshots.path_of(index_dir, live[0]) / "lexical" if live else None,
        fingerprint=fingerprint,
    )
    manifest = documents.of(
        plan.ids.tolist(),
        plan.versions.tolist(),
        plan.text_hashes,
        tokens,
        tokenizer=fingerprint,
        lexical_delta=lexical_delta,
    )
    snapshot = snapshots.stage(
        index_dir,
        index,
        lexical,
        model_id=embedder.model_id,
        watermark=plan.watermark,
        documents=manifest,
        on_written=lambda: stage("writing"),
    )
    stage("staged")
    snapshots.switch(index_dir, snapshot.name)
    stage("switched")
    build_seconds = round(time.perf_counter() - build_started, 3)
    log.info(
        "index snapshot switched",
        extra={"snapshot": snapshot.name, "listings": len(plan), "index_type": index.kind},
    )
    with session_scope(factory) as session:
        index_versions.finish(
            session=session,
            version_id=version_id,
            path=str(snapshot.path),
            index_type=index.kind,
            vector_count=len(index),
            embedded_count=embedded.embedded,
            expired_count=expired.total,
            watermark=plan.watermark,
            embed_seconds=embedded.seconds,
            build_seconds=build_seconds,
        )
    removed = snapshots.prune(index_dir, settings.snapshots_keep)
    with session_scope(factory) as session:
        index_versions.retire(session=session, paths=[str(p) for p in removed])
    stage("done")
    if after_switch is not None:
        reindex_hooks.call(
            after_switch,
            factory,
            ReindexOutcome(
                version_id=version_id,
                snapshot=snapshot.name,
                index=index,
                lexical=lexical,
                changed_ids=reindex_hooks.changed_ids(plan, previous),
                removed_ids=reindex_hooks.removed_ids(plan, previous),
                embedder=embedder,
                tokenizer=tokenizer,
            ),
        )
    return ReindexResult(
        version_id=version_id,
        changed=True,
        snapshot=snapshot.name,
        index_type=index.kind,
        listings=len(plan),
        embedded=embedded.embedded,
        expired=expired.total,
        tokenised=tokenised,
        embed_seconds=embedded.seconds,
        build_seconds=build_seconds,
        seconds=round(time.perf_counter() - started, 3),
        watermark=plan.watermark,
        cleaned=cleaned,
    )


def _unchanged(
    version_id: int,
    factory: sessionmaker[Session],
    name: str,
    kind: str,
    plan: reindex_build.Plan,
    embedded: reindex_embed.EmbedReport,
    expired: lifecycle.Expired,
    started: float,
    cleaned: list[str],
    index_dir: Path,
) -> ReindexResult:
    with session_scope(factory) as session:
        index_versions.finish(
            session=session,
            version_id=version_id,
            path=str(snapshots.path_of(index_dir, name)),
            index_type=kind,
            vector_count=len(plan),
            embedded_count=embedded.embedded,
            expired_count=expired.total,
            watermark=plan.watermark,
            embed_seconds=embedded.seconds,
            build_seconds=0.0,
            note="unchanged",
        )
    return ReindexResult(
        version_id=version_id,
        changed=False,
        snapshot=name,
        index_type=kind,
        listings=len(plan),
        embedded=embedded.embedded,
        expired=expired.total,
        tokenised=0,
        embed_seconds=embedded.seconds,
        build_seconds=0.0,
        seconds=round(time.perf_counter() - started, 3),
        watermark=plan.watermark,
        cleaned=cleaned,
    )


def _live(
    index_dir: Path, embedder: Embedder
) -> tuple[tuple[str, str] | None, documents.Documents | None]:
    """Return the live snapshot's (name, index type) and manifest, if it fits the model."""
    name = snapshots.current_name(index_dir)
    if name is None:
        return None, None
    try:
        meta = snapshots.read_meta(index_dir, name)
    except (SnapshotError, OSError) as exc:
        log.warning("live snapshot unreadable; building afresh", extra={"error": str(exc)})
        return None, None
    if (meta.model_id, meta.dimension) != (embedder.model_id, embedder.dimension):
        return None, None
    return (name, meta.index_type), snapshots.read_documents(index_dir, name)
