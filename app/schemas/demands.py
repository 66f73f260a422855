"""The bodies of a technology demand: create, update and read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field

from app.models import DemandStatus, Visibility
from app.schemas.common import (
    ANNUAL_SALES,
    AnnualSales,
    IndustryCode,
    NullableText,
    OptionalText,
    OrganisationRef,
    Province,
    StrictBody,
    Text,
    Yuan,
    blank_to_none,
)

# Alerts on new matches: the lowest fused score (the `score` of /v1/demands/{id}/matches) at
# which a new or changed listing is reported; see app/services/alerts/service.py for what it means.
AlertMinScore = Annotated[
    float | None,
    Field(
        default=None,
        gt=0,
        le=1,
        description="alert on new or changed listings whose match score reaches this (0-1]; "
        "null turns alerts off",
    ),
]


class DemandCreate(StrictBody):
    """A technology demand in plain Chinese or English."""

    title: Text = Field(min_length=1, max_length=500)
    description: Text = Field(min_length=1, max_length=20_000)
    industry_code: Annotated[IndustryCode | None, BeforeValidator(blank_to_none)] = None
    province: Annotated[Province | None, BeforeValidator(blank_to_none)] = None
    budget_yuan: Yuan | None = Field(default=None, ge=0, le=1e12)
    annual_sales_yuan: AnnualSales | None = Field(default=None, description=ANNUAL_SALES)
    visibility: Visibility = Visibility.PRIVATE
    alert_min_score: AlertMinScore = None


class DemandUpdate(StrictBody):
    title: NullableText = Field(default=None, min_length=1, max_length=500)
    description: NullableText = Field(default=None, min_length=1, max_length=20_000)
    industry_code: OptionalText = None
    province: OptionalText = None
    budget_yuan: Yuan | None = Field(default=None, ge=0, le=1e12)
    annual_sales_yuan: AnnualSales | None = Field(default=None, description=ANNUAL_SALES)
    visibility: Visibility | None = None
    alert_min_score: AlertMinScore = None


class DemandRead(BaseModel):
    id: int
    title: str
    description: str
    industry_code: str | None
    province: str | None
    budget_yuan: float | None
    annual_sales_yuan: float | None = Field(description=ANNUAL_SALES)
    visibility: Visibility
    alert_min_score: float | None
    status: DemandStatus
    owner: OrganisationRef
    version: int
    created_at: datetime
    updated_at: datetime
