"""Organisations: universities, institutes and enterprises that own keys, listings and demands."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import NotFound
from app.core.i18n import tr
from app.models import Organisation, OrganisationKind
from app.validation.province import normalize_province


def get_by_name(*, session: Session, name: str) -> Organisation:
    """Return the organisation called `name`, or raise NotFound."""
    org = session.scalar(select(Organisation).where(Organisation.name == name.strip()))
    if org is None:
        raise NotFound(
            tr("没有名为“{name}”的机构；请核对名称", "no organisation named '{name}'", name=name),
            loc=("organisation",),
        )
    return org


def ensure(
    *, session: Session, name: str, kind: OrganisationKind, province: str | None = None
) -> Organisation:
    """Return the organisation called `name`, creating it with `kind` and `province` if new."""
    name = name.strip()
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is not None:
        return org
    org = Organisation(
        name=name, kind=kind, province=normalize_province(province) if province else None
    )
    session.add(org)
    session.flush()
    return org
