"""Request and response bodies of the v1 API, with the validation a TTO can trust.

One module per resource; `common` holds the field types they share. Import the bodies from
`app.schemas`; a new body's field types come from `app.schemas.common`.
"""

from app.schemas.alerts import (
    AlertPage,
    DemandAlert,
    ListingAlert,
)
from app.schemas.audit import (
    AuditRead,
)
from app.schemas.common import (
    OrganisationRef,
    Page,
    validation_problems,
)
from app.schemas.demands import (
    AlertMinScore,
    DemandCreate,
    DemandRead,
    DemandUpdate,
)
from app.schemas.imports import (
    ImportReport,
    PreviewCell,
    PreviewRow,
    RejectedRow,
    RowStatus,
)
from app.schemas.index import (
    IndexRun,
    IndexStatus,
    LiveSnapshot,
    RebuildStatus,
    ServingIndex,
)
from app.schemas.listings import (
    LicenceTerms,
    ListingCreate,
    ListingFields,
    ListingRead,
    ListingUpdate,
)
from app.schemas.matches import (
    DemandMatch,
    DemandMatchPage,
    FeedbackCreate,
    FeedbackRead,
    ListingMatch,
    ListingMatchPage,
    MatchExplanation,
    MatchFilters,
    ScoreComponents,
    SearchRequest,
)
from app.schemas.royalty import (
    FigureRange,
    RoyaltyBrief,
    RoyaltyGuidance,
    RoyaltyRead,
)

__all__ = [
    "AlertMinScore",
    "AlertPage",
    "AuditRead",
    "DemandAlert",
    "DemandCreate",
    "DemandMatch",
    "DemandMatchPage",
    "DemandRead",
    "DemandUpdate",
    "FeedbackCreate",
    "FeedbackRead",
    "FigureRange",
    "ImportReport",
    "IndexRun",
    "IndexStatus",
    "LicenceTerms",
    "ListingAlert",
    "ListingCreate",
    "ListingFields",
    "ListingMatch",
    "ListingMatchPage",
    "ListingRead",
    "ListingUpdate",
    "LiveSnapshot",
    "MatchExplanation",
    "MatchFilters",
    "OrganisationRef",
    "Page",
    "PreviewCell",
    "PreviewRow",
    "RebuildStatus",
    "RejectedRow",
    "RowStatus",
    "RoyaltyBrief",
    "RoyaltyGuidance",
    "RoyaltyRead",
    "ScoreComponents",
    "SearchRequest",
    "ServingIndex",
    "validation_problems",
]
