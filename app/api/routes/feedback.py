"""Feedback over HTTP: an SME marks a matched listing relevant or not relevant."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.api.deps import SessionDep, SMEKey
from app.schemas import FeedbackCreate, FeedbackRead
from app.services import matching

router = APIRouter(prefix="/v1/feedback", tags=["matching"])


@router.post("", status_code=status.HTTP_201_CREATED)
def give_feedback(body: FeedbackCreate, key: SMEKey, session: SessionDep) -> FeedbackRead:
    """Record a verdict on a listing for one of the caller's demands; a new verdict replaces it."""
    feedback = matching.record_feedback(
        session=session, organisation_id=key.organisation_id, api_key_id=key.id, data=body
    )
    session.commit()
    return FeedbackRead(
        id=feedback.id,
        demand_id=feedback.demand_id,
        listing_id=feedback.listing_id,
        verdict=feedback.verdict,
        reason=feedback.reason,
        created_at=feedback.created_at,
        updated_at=feedback.updated_at,
    )
