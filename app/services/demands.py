"""Demands: an enterprise's technology needs, private to it unless it makes them public."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import NotFound
from app.core.i18n import tr
from app.models import Demand, DemandStatus, Organisation, utcnow
from app.schemas import DemandCreate, DemandRead, DemandUpdate, OrganisationRef
from app.services import paging as pages
from app.services.listings import edits


def fields_of(demand: Demand) -> dict[str, Any]:
    """Return a stored demand as the fields of a `DemandCreate`."""
    return {
        "title": demand.title,
        "description": demand.description,
        "industry_code": demand.industry_code,
        "province": demand.province,
        "budget_yuan": demand.budget_yuan,
        "annual_sales_yuan": demand.annual_sales_yuan,
        "visibility": demand.visibility,
        "alert_min_score": demand.alert_min_score,
    }


def to_read(demand: Demand) -> DemandRead:
    """Return the API view of a demand."""
    org = demand.organisation
    return DemandRead(
        **fields_of(demand),
        id=demand.id,
        status=demand.status,
        owner=OrganisationRef(id=org.id, name=org.name, kind=org.kind, province=org.province),
        version=demand.version,
        created_at=demand.created_at,
        updated_at=demand.updated_at,
    )


def _apply(demand: Demand, data: DemandCreate) -> None:
    demand.title = data.title
    demand.description = data.description
    demand.industry_code = data.industry_code
    demand.province = data.province
    demand.budget_yuan = data.budget_yuan
    demand.annual_sales_yuan = data.annual_sales_yuan
    demand.visibility = data.visibility
    if data.alert_min_score is None:
        demand.alerts_since = None
    elif demand.alert_min_score is None:
        # Listings that already matched when alerts were turned on are not news to the owner.
        demand.alerts_since = utcnow()
    demand.alert_min_score = data.alert_min_score
    demand.content_hash = edits.content_hash(data)


def get_own(*, session: Session, demand_id: int, organisation_id: int) -> Demand:
    """Return a demand of `organisation_id`; another organisation's demand is NotFound.

    NotFound rather than Forbidden, so that a private demand's existence does not leak.
    """
    return own_or_missing(session.get(Demand, demand_id), demand_id, organisation_id)


def own_or_missing(demand: Demand | None, demand_id: int, organisation_id: int) -> Demand:
    """Return `demand` if `organisation_id` owns it; otherwise (or if None) raise NotFound."""
    if demand is None or demand.organisation_id != organisation_id:
        raise NotFound(
            tr(
                "需求 {id} 不存在，或不属于您的机构；请在 GET /v1/demands 中查看您的需求",
                "demand {id} does not exist",
                id=demand_id,
            ),
            loc=("path", "demand_id"),
        )
    return demand


def create(*, session: Session, organisation: Organisation, data: DemandCreate) -> Demand:
    """Create a demand owned by `organisation`; its province defaults to the owner's."""
    if data.province is None and organisation.province is not None:
        data = data.model_copy(update={"province": organisation.province})
    now = utcnow()
    demand = Demand(
        organisation=organisation, status=DemandStatus.OPEN, created_at=now, updated_at=now
    )
    _apply(demand, data)
    session.add(demand)
    session.flush()
    return demand


def update(
    *, session: Session, demand: Demand, patch: DemandUpdate, expected_version: int | None
) -> Demand:
    """Apply a partial edit and re-check the demand; a no-change edit writes nothing."""
    edits.require_version(demand, expected_version, noun=tr("需求", "demand"))
    data = edits.validated(DemandCreate, fields_of(demand) | patch.model_dump(exclude_unset=True))
    if edits.content_hash(data) == demand.content_hash:
        return demand
    _apply(demand, data)
    demand.version += 1
    demand.updated_at = utcnow()
    session.flush()
    return demand


def withdraw(*, session: Session, demand: Demand) -> Demand:
    """Withdraw a demand: it no longer matches anything, and stays readable to its owner."""
    if demand.status is not DemandStatus.WITHDRAWN:
        demand.status = DemandStatus.WITHDRAWN
        demand.updated_at = utcnow()
        demand.version += 1
        session.flush()
    return demand


def list_own(
    *, session: Session, organisation_id: int, limit: int, offset: int, include_withdrawn: bool
) -> tuple[list[Demand], int]:
    """Return one page of an organisation's demands, newest first, and their total."""
    query = select(Demand).where(Demand.organisation_id == organisation_id)
    if not include_withdrawn:
        query = query.where(Demand.status == DemandStatus.OPEN)
    # Ids are random (app/models/base.py): the time says which is newest.
    order = (Demand.created_at.desc(), Demand.id.desc())
    return pages.page(session, query, *order, limit=limit, offset=offset)
