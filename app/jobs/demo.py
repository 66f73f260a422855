"""Load the project's demo organisations, listings and demands; running it twice adds nothing."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import PROJECT_ROOT
from app.ingest.readers import ImportLimits
from app.models import Demand, Organisation, OrganisationKind
from app.schemas import DemandCreate
from app.search import embeddings
from app.services import demands, organisations
from app.services.imports import service as imports
from matching.embedder import Embedder

DEMO_DIR = PROJECT_ROOT / "data" / "demo"


@dataclass(frozen=True)
class DemoSummary:
    organisations: int
    listings_created: int
    listings_unchanged: int
    listings_rejected: int
    demands_created: int
    first_university: str
    first_enterprise: str


def load_demo(
    *, session: Session, embedder: Embedder | None, demo_dir: Path = DEMO_DIR
) -> DemoSummary:
    """Create the demo organisations, import their listings and post their demands.

    With an embedder, listings and demands get their vectors here, in batches; without one,
    the service embeds what is missing when it starts.
    """
    orgs: dict[str, Organisation] = {}
    for entry in json.loads((demo_dir / "organisations.json").read_text(encoding="utf-8")):
        orgs[entry["name"]] = organisations.ensure(
            session=session,
            name=entry["name"],
            kind=OrganisationKind(entry["kind"]),
            province=entry.get("province"),
        )

    by_holder: dict[str, list[str]] = defaultdict(list)
    for line in _lines(demo_dir / "listings.jsonl"):
        record = json.loads(line)
        by_holder[record.pop("holder")].append(json.dumps(record, ensure_ascii=False))
    created = unchanged = rejected = 0
    for holder, records in by_holder.items():
        # The demo goes through the same import path a TTO's upload does.
        report = imports.import_listings(
            session=session,
            organisation=orgs[holder],
            content="\n".join(records).encode(),
            filename="demo.jsonl",
            dry_run=False,
            all_or_nothing=False,
            limits=ImportLimits(),
            embedder=embedder,
        ).report
        created += report.created
        unchanged += report.unchanged
        rejected += len(report.rejected)

    demands_created = 0
    for line in _lines(demo_dir / "demands.jsonl"):
        record = json.loads(line)
        owner = orgs[record.pop("owner")]
        data = DemandCreate.model_validate(record)
        exists = session.scalar(
            select(Demand.id).where(Demand.organisation_id == owner.id, Demand.title == data.title)
        )
        if exists is None:
            demand = demands.create(session=session, organisation=owner, data=data)
            if embedder is not None:
                embeddings.demand_vector(session=session, demand=demand, embedder=embedder)
            demands_created += 1

    return DemoSummary(
        organisations=len(orgs),
        listings_created=created,
        listings_unchanged=unchanged,
        listings_rejected=rejected,
        demands_created=demands_created,
        first_university=next(n for n, o in orgs.items() if o.kind is OrganisationKind.UNIVERSITY),
        first_enterprise=next(n for n, o in orgs.items() if o.kind is OrganisationKind.ENTERPRISE),
    )


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
