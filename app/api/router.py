"""The versioned API: every resource router under the one `/v1` prefix.

Health and metrics are not versioned and are included by `app.main` beside this router.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.api.routes import alerts, audit, demands, feedback, index, listings, matches, royalty

api_router = APIRouter(prefix="/v1")
# The order is the order of the OpenAPI document's paths and tags.
api_router.include_router(listings.router)
api_router.include_router(demands.router)
api_router.include_router(matches.router)
api_router.include_router(alerts.router)
api_router.include_router(feedback.router)
api_router.include_router(audit.router)
api_router.include_router(royalty.router)
api_router.include_router(index.router)
