"""/docs and /redoc load every script and stylesheet from this app, so they work offline."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""")


def _asset_urls(html: str) -> list[str]:
    return [src or url for src, url in ASSET.findall(html)]


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        ("/docs", {"swagger-ui-bundle.js": "javascript", "swagger-ui.css": "text/css"}),
        ("/redoc", {"redoc.standalone.js": "javascript"}),
    ],
)
def test_docs_page_loads_its_assets_from_this_app_without_a_key(
    client: TestClient, page: str, assets: dict[str, str]
) -> None:
    response = client.get(page)
    assert response.status_code == 200
    urls = _asset_urls(response.text)
    assert urls and all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    assert "http" not in response.text.replace("http-equiv", "")
    for name, media_type in assets.items():
        (url,) = [url for url in urls if url.endswith("/" + name)]
        asset = client.get(url)
        assert asset.status_code == 200
        assert media_type in asset.headers["content-type"]
        assert len(asset.content) > 100_000  # the real bundle, not a stub
    favicon = client.get(next(url for url in urls if url.endswith("favicon.png")))
    assert favicon.status_code == 200 and favicon.content.startswith(b"\x89PNG")


def test_swagger_ui_oauth2_redirect_page_is_served(client: TestClient) -> None:
    response = client.get("/docs/oauth2-redirect")
    assert response.status_code == 200 and "oauth2" in response.text
