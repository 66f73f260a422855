"""Listing lifecycle: active listings whose patent or open-licence term has ended expire.

A patent term ends on `expiry_date`. An open-licence declaration runs `licence_term_years`
from the day the listing was published (`created_at`: the platform publishes the declaration
when the TTO lists it). Either way the listing is marked `expired`, its version and
`updated_at` move on, and every API process drops it on its next catch-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Listing, ListingStatus, utcnow
from app.validation.terms import add_years

_CHUNK = 500


@dataclass(frozen=True)
class Expired:
    """How many listings expired, by reason."""

    patent_term: int
    licence_term: int

    @property
    def total(self) -> int:
        """Return the number of listings expired."""
        return self.patent_term + self.licence_term


def expire(*, session: Session, today: date) -> Expired:
    """Mark expired every active listing whose patent or licence term ended before `today`."""
    patent = list(
        session.scalars(
            select(Listing.id).where(
                Listing.status == ListingStatus.ACTIVE, Listing.expiry_date < today
            )
        )
    )
    # Computed here, not in SQL: date arithmetic on a column differs between the databases,
    # and the candidates are only the listings with a licence term.
    rows = session.execute(
        select(Listing.id, Listing.created_at, Listing.licence_term_years).where(
            Listing.status == ListingStatus.ACTIVE,
            Listing.licence_term_years.is_not(None),
            Listing.expiry_date >= today,
        )
    )
    licence = [
        row.id for row in rows if add_years(row.created_at.date(), row.licence_term_years) <= today
    ]
    now = utcnow()
    ids = patent + licence
    for start in range(0, len(ids), _CHUNK):
        session.execute(
            update(Listing)
            .where(
                Listing.id.in_(ids[start : start + _CHUNK]), Listing.status == ListingStatus.ACTIVE
            )
            .values(status=ListingStatus.EXPIRED, version=Listing.version + 1, updated_at=now),
            execution_options={"synchronize_session": False},
        )
    session.flush()
    return Expired(patent_term=len(patent), licence_term=len(licence))
