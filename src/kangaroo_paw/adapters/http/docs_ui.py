"""The API docs UI at ``/docs``: Swagger UI from assets inside the package.

Litestar's own docs pages load their scripts from a CDN and render blank offline, on a
kitchen's closed network or behind a strict proxy. This page references only files served by
this server (``/docs/assets/``, vendored from the npm package ``swagger-ui-dist`` with its
licence beside them, see ``docs_assets/README.md``) and reads ``/schema/openapi.json``.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router, get
from litestar.datastructures import CacheControlHeader
from litestar.enums import MediaType
from litestar.handlers import HTTPRouteHandler
from litestar.static_files import create_static_files_router

DOCS_PATH = "/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"
ASSETS = Path(__file__).with_name("docs_assets")

PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kangaroo Paw API</title>
<link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon-32x32.png">
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_PATH}/init.js"></script>
</body>
</html>
"""


@get(DOCS_PATH, media_type=MediaType.HTML, include_in_schema=False, sync_to_thread=False)
def docs_page() -> str:
    """The Swagger UI page over this server's OpenAPI document."""
    return PAGE


def docs_routes() -> list[HTTPRouteHandler | Router]:
    """The page and its assets (cached for a day: they change only with the package)."""
    assets = create_static_files_router(
        path=ASSETS_PATH,
        directories=[ASSETS],
        name="docs-assets",
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=86_400),
    )
    return [docs_page, assets]
