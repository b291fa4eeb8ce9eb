"""The API documentation pages, served entirely by the app: Swagger UI at /docs, ReDoc at /redoc.

FastAPI's own pages load Swagger UI from a public CDN: offline they are blank, and in a
Jobcenter every visit would call a third party. The files come from the `fastapi-offline`
package instead (Swagger UI 5 and ReDoc 2, inside its wheel), under /docs/static/; the small
pages and the start script are ours. Nothing on them names another host.
"""

from __future__ import annotations

from html import escape
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC = "/docs/static"
ASSETS = Path(str(files("fastapi_offline") / "static"))  # swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js
TITLE = "Fahrplan – API-Dokumentation"

# Our own start script (no inline script: a later Content-Security-Policy can say script-src 'self').
# validatorUrl null: Swagger UI would otherwise send the spec to an online validator.
_SWAGGER_START = """\
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.spec,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: false,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
"""

# deepLinking off: it makes each operation's path a link inside the operation's button (axe:
# nested-interactive, serious). The colours: Swagger UI's method badges, version stamps and links
# fall below WCAG 2.1 AA contrast (4.5:1, axe: color-contrast, serious); these darker ones pass.
_SWAGGER_CSS = """\
.swagger-ui .opblock .opblock-summary-method { text-shadow: none; color: #fff; }
.swagger-ui .opblock.opblock-get .opblock-summary-method { background: #0b5cad; }
.swagger-ui .opblock.opblock-post .opblock-summary-method { background: #1a7346; }
.swagger-ui .opblock.opblock-put .opblock-summary-method { background: #9a4a00; }
.swagger-ui .opblock.opblock-delete .opblock-summary-method { background: #b3261e; }
.swagger-ui .opblock.opblock-patch .opblock-summary-method { background: #0b6e63; }
.swagger-ui .opblock.opblock-head .opblock-summary-method { background: #6a0dad; }
.swagger-ui .info .title small { background: #4b5563; }
.swagger-ui .info .title small.version-stamp { background: #2f6b00; }
.swagger-ui .info a, .swagger-ui .url { color: #1f5fa8; }
.swagger-ui .json-schema-2020-12-expand-deep-button { color: #4a4a4a; }
"""

# ReDoc's theme and a few rules, for the same contrast: section titles, inline code, and the
# response tabs (light on the dark right panel, dark once selected on white). ReDoc always shows
# a logo from its CDN: the page's Content-Security-Policy blocks that request in the browser.
_REDOC_START = """\
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("redoc");
  var tab = function (c) { return { tabTextColor: c }; };
  Redoc.init(root.dataset.spec, {
    theme: {
      colors: {
        text: { secondary: "#4a5258" },
        responses: { success: tab("#7ee2a8"), error: tab("#ff9c94"), redirect: tab("#ffcc80"), info: tab("#90caf9") },
      },
      typography: { code: { color: "#b3261e" } },
    },
  }, root);
});
"""
_REDOC_CSS = """\
#redoc h5 { color: #4a5258 !important; }
#redoc li.react-tabs__tab--selected { color: #1f1f1f !important; }
"""

# Nothing but the app: a bundled script that tries another host is stopped by the browser.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'"
)

# Swagger UI draws its headings from h2 on and has no landmark of its own: the page adds a
# heading and the main landmark (axe: page-has-heading-one, region); the header is ours.
_PAGE = """<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="{static}/favicon.png">
{head}
<style>
  body {{ margin: 0; }}
  .fahrplan-kopf {{ font-family: sans-serif; margin: 0; padding: 0.75rem 1.25rem; background: #1b3a5c; color: #fff; }}
  .fahrplan-kopf h1 {{ font-size: 1.25rem; margin: 0 0 0.25rem; }}
  .fahrplan-kopf a {{ color: #fff; }}
</style>
</head>
<body>
<header class="fahrplan-kopf">
<h1>{title}</h1>
<nav aria-label="Ansichten"><a href="{docs}">Swagger UI</a> · <a href="{redoc}">ReDoc</a> ·
<a href="{spec}">OpenAPI (JSON)</a></nav>
</header>
<main>
{body}
</main>
</body>
</html>
"""


def install(app: FastAPI, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Mount the bundled files and the two pages; call with FastAPI(docs_url=None, redoc_url=None)."""
    app.mount(STATIC, StaticFiles(directory=ASSETS), name="docs-static")

    def urls(request: Request) -> dict[str, str]:
        root = request.scope.get("root_path", "")
        return {
            "static": escape(root + STATIC),
            "docs": escape(root + docs_url),
            "redoc": escape(root + redoc_url),
            "spec": escape(root + (app.openapi_url or "")),
        }

    @app.get(docs_url, include_in_schema=False)
    async def read_swagger_ui(request: Request) -> HTMLResponse:
        u = urls(request)
        head = (
            f'<link rel="stylesheet" href="{u["static"]}/swagger-ui.css">\n'
            f'<link rel="stylesheet" href="{u["docs"]}/fahrplan.css">'
        )
        body = (
            f'<div id="swagger-ui" data-spec="{u["spec"]}"></div>\n'
            f'<script src="{u["static"]}/swagger-ui-bundle.js"></script>\n'
            f'<script src="{u["docs"]}/start.js"></script>'
        )
        return _page(TITLE, head, body, u)

    @app.get(f"{docs_url}/start.js", include_in_schema=False)
    async def read_swagger_start() -> Response:
        return Response(_SWAGGER_START, media_type="text/javascript; charset=utf-8")

    @app.get(f"{docs_url}/fahrplan.css", include_in_schema=False)
    async def read_swagger_css() -> Response:
        return Response(_SWAGGER_CSS, media_type="text/css; charset=utf-8")

    @app.get(redoc_url, include_in_schema=False)
    async def read_redoc(request: Request) -> HTMLResponse:
        u = urls(request)
        # No font link (FastAPI's page fetches Montserrat and Roboto from Google): ReDoc names them
        # in its CSS and falls back to the browser's sans-serif.
        body = (
            f'<div id="redoc" data-spec="{u["spec"]}"></div>\n'
            f'<script src="{u["static"]}/redoc.standalone.js"></script>\n'
            f'<script src="{u["redoc"]}/start.js"></script>'
        )
        return _page(f"{TITLE} (ReDoc)", f'<link rel="stylesheet" href="{u["redoc"]}/fahrplan.css">', body, u)

    @app.get(f"{redoc_url}/fahrplan.css", include_in_schema=False)
    async def read_redoc_css() -> Response:
        return Response(_REDOC_CSS, media_type="text/css; charset=utf-8")

    @app.get(f"{redoc_url}/start.js", include_in_schema=False)
    async def read_redoc_start() -> Response:
        return Response(_REDOC_START, media_type="text/javascript; charset=utf-8")


def _page(title: str, head: str, body: str, urls: dict[str, str]) -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(title=title, head=head, body=body, **urls),
        headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"},
    )
