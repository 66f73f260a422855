"""The interactive API docs (/docs, /redoc) with their JavaScript and CSS served from this app.

FastAPI's own pages load Swagger UI and ReDoc from a CDN and render blank without a network;
the same files ship in the `fastapi-offline` wheel, pinned in pyproject.toml, and are served
from `ASSETS_PATH`. Like FastAPI's own, these are plain routes outside the key gate.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

ASSETS_PATH = "/docs-assets"
ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"


def install(app: FastAPI) -> None:
    """Serve /docs and /redoc from local assets; the app must be built with docs_url=None."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    async def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=_root(request) + (app.openapi_url or ""),
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{_root(request)}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{_root(request)}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{_root(request)}{ASSETS_PATH}/favicon.png",
            oauth2_redirect_url=_root(request) + OAUTH2_REDIRECT_PATH,
        )

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=_root(request) + (app.openapi_url or ""),
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{_root(request)}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{_root(request)}{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )

    app.add_route("/docs", swagger_ui, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT_PATH, oauth2_redirect, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)


def _root(request: Request) -> str:
    """Return the prefix a proxy mounted the app under, so that asset URLs resolve behind it."""
    return str(request.scope.get("root_path", "")).rstrip("/")
