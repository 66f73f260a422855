"""The resource routers of the versioned API, in the order the application includes them.

Health and metrics are not versioned and are included by `app.main` before these.
The routers are included into the application one by one, each spelling its `/v1` prefix,
rather than nested under one `APIRouter(prefix="/v1")`: FastAPI 0.165 keeps a nested
router's routes with their own paths and matches them differently, and the upload limit
(`app.api.limits`) and the metrics labels (`app.api.observe`) read the full path template
from the matched route.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter

from app.api.routes import alerts, audit, demands, feedback, index, listings, matches, royalty

# The order is the order of the OpenAPI document's paths.
API_ROUTERS: Final[tuple[APIRouter, ...]] = (
    listings.router,
    demands.router,
    matches.router,
    alerts.router,
    feedback.router,
    audit.router,
    royalty.router,
    index.router,
)
