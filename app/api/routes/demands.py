"""Demands over HTTP: an enterprise posts, reads and edits only its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status

from app.api.deps import DemandId, EngineDep, SessionDep, SMEKey
from app.api.etags import etag, parse_if_match
from app.api.transactions import commit_with_retry
from app.models import Demand
from app.schemas import DemandCreate, DemandRead, DemandUpdate, Page
from app.search import embeddings
from app.services import audit, demands

router = APIRouter(prefix="/demands", tags=["demands"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_demand(
    request: Request,
    body: DemandCreate,
    key: SMEKey,
    session: SessionDep,
    engine: EngineDep,
    response: Response,
) -> DemandRead:
    """Post a technology demand for the caller's organisation; it is embedded once, here."""

    def write() -> Demand:
        demand = demands.create(session=session, organisation=key.organisation, data=body)
        embeddings.demand_vector(session=session, demand=demand, embedder=engine.embedder)
        audit.record(
            session=session,
            key=key,
            action="create",
            entity_type="demand",
            entity_id=demand.id,
            detail={"visibility": demand.visibility.value, "version": demand.version},
        )
        return demand

    demand = commit_with_retry(session, write)
    response.headers["Location"] = request.app.url_path_for("read_demand", demand_id=demand.id)
    response.headers["ETag"] = etag(demand.version)
    return demands.to_read(demand)


@router.get("")
def list_demands(
    key: SMEKey,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    include_withdrawn: bool = False,
) -> Page[DemandRead]:
    """List the caller's own demands, newest first."""
    rows, total = demands.list_own(
        session=session,
        organisation_id=key.organisation_id,
        limit=limit,
        offset=offset,
        include_withdrawn=include_withdrawn,
    )
    return Page(items=[demands.to_read(d) for d in rows], total=total, limit=limit, offset=offset)


@router.get("/{demand_id}")
def read_demand(
    demand_id: DemandId, key: SMEKey, session: SessionDep, response: Response
) -> DemandRead:
    """Return one of the caller's demands."""
    demand = demands.get_own(
        session=session, demand_id=demand_id, organisation_id=key.organisation_id
    )
    response.headers["ETag"] = etag(demand.version)
    return demands.to_read(demand)


@router.patch("/{demand_id}")
def edit_demand(
    demand_id: DemandId,
    body: DemandUpdate,
    key: SMEKey,
    session: SessionDep,
    engine: EngineDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> DemandRead:
    """Edit one of the caller's demands; a changed text is embedded again, once."""
    expected = parse_if_match(if_match)

    def write() -> Demand:
        demand = demands.get_own(
            session=session, demand_id=demand_id, organisation_id=key.organisation_id
        )
        before = demand.version
        demand = demands.update(
            session=session, demand=demand, patch=body, expected_version=expected
        )
        embeddings.demand_vector(session=session, demand=demand, embedder=engine.embedder)
        audit.record_change(
            session=session,
            key=key,
            action="update",
            entity_type="demand",
            entity=demand,
            before=before,
            detail={"fields": sorted(body.model_fields_set)},
        )
        return demand

    demand = commit_with_retry(session, write)
    response.headers["ETag"] = etag(demand.version)
    return demands.to_read(demand)


@router.delete("/{demand_id}")
def withdraw_demand(demand_id: DemandId, key: SMEKey, session: SessionDep) -> DemandRead:
    """Withdraw one of the caller's demands."""

    def write() -> Demand:
        demand = demands.get_own(
            session=session, demand_id=demand_id, organisation_id=key.organisation_id
        )
        before = demand.version
        demand = demands.withdraw(session=session, demand=demand)
        audit.record_change(
            session=session,
            key=key,
            action="withdraw",
            entity_type="demand",
            entity=demand,
            before=before,
        )
        return demand

    demand = commit_with_retry(session, write)
    return demands.to_read(demand)
