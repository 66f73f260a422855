"""The versioned API is one router with the `/v1` prefix; the route table knows full templates."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from app.api.router import API_PREFIX, RouteTemplates, api_router
from app.core.config import Settings
from app.main import create_app


def test_every_api_route_is_under_the_one_prefix_and_no_resource_spells_it() -> None:
    app = create_app(Settings(embedding_model="hash-64"))
    declared = [
        context.original_route
        for context in iter_route_contexts(app.routes)
        if str(context.path_format).startswith(API_PREFIX + "/")
    ]

    assert declared
    assert all(isinstance(route, APIRoute) for route in declared)
    assert [r.path_format for r in declared if r.path_format.startswith(API_PREFIX)] == []
    assert api_router.prefix == API_PREFIX


def test_the_table_gives_the_full_template_of_a_route_declared_without_the_prefix() -> None:
    app = create_app(Settings(embedding_model="hash-64"))
    templates = RouteTemplates(app.routes)
    imports = next(
        context.original_route
        for context in iter_route_contexts(app.routes)
        if context.name == "import_listings"
    )

    assert isinstance(imports, APIRoute)
    assert imports.path_format == "/listings/import"
    assert templates.of(imports) == "/v1/listings/import"
    assert templates.of(None) is None


def test_a_route_added_to_the_app_afterwards_is_known_by_its_own_path() -> None:
    app = FastAPI()
    templates = RouteTemplates(app.routes)

    @app.get("/v1/probe")
    def probe() -> None:
        """Answer nothing."""

    added = next(r for r in app.routes if getattr(r, "name", None) == "probe")

    assert templates.of(added) == "/v1/probe"
