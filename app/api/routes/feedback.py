"""Feedback over HTTP: an SME marks a matched listing relevant or not relevant."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.api.deps import SessionDep, SMEKey
from app.api.transactions import commit_with_retry
from app.models import Feedback
from app.schemas import FeedbackCreate, FeedbackRead
from app.services import audit
from app.services.feedback import record_feedback

router = APIRouter(prefix="/feedback", tags=["matching"])


@router.post("", status_code=status.HTTP_201_CREATED)
def give_feedback(body: FeedbackCreate, key: SMEKey, session: SessionDep) -> FeedbackRead:
    """Record a verdict on a listing for one of the caller's demands; a new verdict replaces it."""

    def write() -> Feedback:
        feedback = record_feedback(
            session=session, organisation_id=key.organisation_id, api_key_id=key.id, data=body
        )
        audit.record(
            session=session,
            key=key,
            action="feedback",
            entity_type="feedback",
            entity_id=feedback.id,
            detail={
                "demand_id": feedback.demand_id,
                "listing_id": feedback.listing_id,
                "verdict": feedback.verdict.value,
            },
        )
        return feedback

    # Two verdicts at once on one pair race for its unique key; the second then updates.
    feedback = commit_with_retry(session, write)
    return FeedbackRead(
        id=feedback.id,
        demand_id=feedback.demand_id,
        listing_id=feedback.listing_id,
        verdict=feedback.verdict,
        reason=feedback.reason,
        created_at=feedback.created_at,
        updated_at=feedback.updated_at,
    )
