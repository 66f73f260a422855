"""ORM models: the database is the source of truth for everything the service knows.

One module per domain on one declarative `Base`; importing this package registers every table
on `Base.metadata`, which Alembic compares with the database.
"""

from app.models.alerts import (
    AlertFeed,
    AlertKind,
    AlertRun,
    MatchAlert,
    MatchObservation,
)
from app.models.audit import (
    AuditEntry,
)
from app.models.base import (
    MAX_ROW_ID,
    NAMING_CONVENTION,
    Base,
    UTCDateTime,
    enum_column,
    random_id,
    utcnow,
)
from app.models.demands import (
    Demand,
    DemandEmbedding,
    DemandStatus,
    Visibility,
)
from app.models.feedback import (
    Feedback,
    Verdict,
)
from app.models.index import (
    IndexVersion,
    IndexVersionStatus,
)
from app.models.listings import (
    Listing,
    ListingEmbedding,
    ListingStatus,
    PatentType,
    RoyaltyType,
)
from app.models.organisations import (
    ApiKey,
    Organisation,
    OrganisationKind,
    Role,
)
from app.models.royalty import (
    RoyaltyTable,
    RoyaltyTableKind,
    RoyaltyTableRow,
)

__all__ = [
    "AlertFeed",
    "AlertKind",
    "AlertRun",
    "ApiKey",
    "AuditEntry",
    "Base",
    "Demand",
    "DemandEmbedding",
    "DemandStatus",
    "Feedback",
    "IndexVersion",
    "IndexVersionStatus",
    "Listing",
    "ListingEmbedding",
    "ListingStatus",
    "MAX_ROW_ID",
    "MatchAlert",
    "MatchObservation",
    "NAMING_CONVENTION",
    "Organisation",
    "OrganisationKind",
    "PatentType",
    "Role",
    "RoyaltyTable",
    "RoyaltyTableKind",
    "RoyaltyTableRow",
    "RoyaltyType",
    "UTCDateTime",
    "Verdict",
    "Visibility",
    "enum_column",
    "random_id",
    "utcnow",
]
