"""Feedback: an SME's verdict on a listing shown for one of its demands.

Writing a verdict is `record_feedback`; what a verdict does to the demand's ranking (a listing
marked not relevant is never ranked for that demand again) is `app.services.matches.ranking`'s.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import NotFound
from app.core.i18n import tr
from app.models import Feedback, Listing, Verdict, utcnow
from app.schemas import FeedbackCreate
from app.services import demands


def verdicts(session: Session, demand_id: int) -> dict[int, Verdict]:
    """Return the verdicts given on listings shown for a demand, by listing id."""
    rows = session.execute(
        select(Feedback.listing_id, Feedback.verdict).where(Feedback.demand_id == demand_id)
    )
    return {row.listing_id: row.verdict for row in rows}


def record_feedback(
    *, session: Session, organisation_id: int, api_key_id: int, data: FeedbackCreate
) -> Feedback:
    """Record (or change) an SME's verdict on a listing shown for one of its demands."""
    demands.get_own(session=session, demand_id=data.demand_id, organisation_id=organisation_id)
    if session.get(Listing, data.listing_id) is None:
        raise NotFound(
            tr(
                "专利挂牌 {id} 不存在；请填写匹配结果中出现的挂牌编号",
                "listing {id} does not exist",
                id=data.listing_id,
            ),
            loc=("body", "listing_id"),
        )
    feedback = session.scalar(
        select(Feedback).where(
            Feedback.demand_id == data.demand_id, Feedback.listing_id == data.listing_id
        )
    )
    now = utcnow()
    if feedback is None:
        feedback = Feedback(demand_id=data.demand_id, listing_id=data.listing_id, created_at=now)
        session.add(feedback)
    feedback.verdict = data.verdict
    feedback.reason = data.reason
    feedback.api_key_id = api_key_id
    feedback.updated_at = now
    session.flush()
    return feedback
