"""The alert feeds: listings that newly fit a demand, demands that newly fit a listing."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from app.models import AlertKind
from app.schemas.demands import DemandRead
from app.schemas.listings import LicenceTerms, ListingRead


class ListingAlert(BaseModel):
    """A listing that newly fits a demand: new, changed, or offered on new terms."""

    id: int
    kind: AlertKind
    score: float = Field(description="the listing's match score when the alert was recorded")
    recorded_at: datetime
    listing: ListingRead
    previous_licence: LicenceTerms | None = Field(
        default=None, description="the licence terms before a fee change"
    )


class DemandAlert(BaseModel):
    """A public demand that newly fits a listing."""

    id: int
    kind: AlertKind
    score: float = Field(description="the listing's score in the demand's ranking")
    recorded_at: datetime
    demand: DemandRead


T = TypeVar("T")


class AlertPage(BaseModel, Generic[T]):
    """Alerts after a cursor, oldest first; `cursor` is the id to pass as `after` next.

    Alert ids are random: the order is the order of `recorded_at`, never of the ids.
    """

    items: list[T]
    remaining: int = Field(description="alerts after this page")
    cursor: int
    marked_seen: bool = Field(description="whether this read advanced the seen-marker")
