"""The versioned API as one router, and the full path template of every route of an app.

`api_router` carries the `/v1` prefix once; each resource router carries its own resource
prefix. FastAPI 0.165 keeps an included route as it was declared (`scope["route"].path_format`
is `/listings/import`) and applies the prefixes of the routers around it only in its
inclusion context. What reads a route's path (the upload limit, the metrics labels) asks
`RouteTemplates`, which collects the full templates of the built application once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from fastapi import APIRouter
from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute

from app.api.routes import alerts, audit, demands, feedback, index, listings, matches, royalty

API_PREFIX: Final = "/v1"

api_router = APIRouter(prefix=API_PREFIX)
# The order is the order of the OpenAPI document's paths.
api_router.include_router(listings.router)
api_router.include_router(demands.router)
api_router.include_router(matches.router)
api_router.include_router(alerts.router)
api_router.include_router(feedback.router)
api_router.include_router(audit.router)
api_router.include_router(royalty.router)
api_router.include_router(index.router)


class RouteTemplates:
    """The full path template of each route of an application, looked up by route object."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        # Keyed by identity: Starlette routes compare by value and are not hashable. The
        # route is kept beside its template, so that an id reused by another object after
        # the route is gone cannot match.
        self._by_id: dict[int, tuple[BaseRoute, str]] = {
            id(context.original_route): (context.original_route, context.path_format)
            for context in iter_route_contexts(routes)
            if context.path_format is not None
        }

    def of(self, route: object) -> str | None:
        """Return the full path template of `route`, or None when no route matched.

        A route added to the application itself after it was built (a test's probe) is not
        in the table; not being inside an included router, it carries its full path itself.
        """
        found = self._by_id.get(id(route))
        if found is not None and found[0] is route:
            return found[1]
        path: str | None = getattr(route, "path_format", None)
        return path
