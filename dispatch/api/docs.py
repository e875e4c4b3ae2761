"""``/docs``: Swagger UI for ``/openapi.json``, only when ``GOLDENHOUR_API_DOCS=true``.

Why off by default: it is a developer's and integrator's tool, not part of a console, and a
server on a health network should expose no page it does not need. Why from local files: a
dispatch centre runs on a closed network, where FastAPI's default page (Swagger UI from a public
CDN) stays blank, and elsewhere it would run a third party's script next to a dispatcher's
token. The files come from the ``swagger-ui-bundle-v2`` package (Swagger UI 5, which reads
OpenAPI 3.1); the page has no inline script, so it runs under the same Content-Security-Policy
as the console (``dispatch.api.security_headers``).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request

ASSETS = "/docs/assets"

PAGE = f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Golden Hour API</title>
    <link rel="stylesheet" href="{ASSETS}/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="{ASSETS}/swagger-ui-bundle.js"></script>
    <script src="/docs/start.js"></script>
  </body>
</html>
"""

START = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
"""


def install(app: FastAPI) -> None:
    """Serve Swagger UI at ``/docs`` (call before the front end is mounted at ``/``).

    Plain Starlette routes, like the front end's static files: public pages, not API
    operations, so they are neither in ``/openapi.json`` nor in the authorization table.
    """
    from swagger_ui_bundle import swagger_ui_path  # only a server with docs on needs it

    app.add_route("/docs", _page, include_in_schema=False)
    app.add_route("/docs/start.js", _start, include_in_schema=False)
    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")


async def _page(_: Request) -> Response:
    return HTMLResponse(PAGE)


async def _start(_: Request) -> Response:
    return Response(START, media_type="text/javascript")
