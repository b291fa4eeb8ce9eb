"""Security headers on every response (pure ASGI middleware, the outermost of the app).

- `X-Content-Type-Options: nosniff` everywhere: a browser never guesses a type (an SVG or a
  problem text as HTML).
- `Cache-Control: no-store` unless a route sets its own: API answers carry Sozialdaten (cases,
  letters, plan PDFs), and no proxy or browser cache may keep them.
- Every text/html response (today /docs and the codec sign-in page, later the staff pages):
  a Content-Security-Policy (PAGE_CSP unless the route sends a stricter one of its own, which
  must keep `frame-ancestors 'none'`), `X-Frame-Options: DENY` (no framing, no clickjacking) and
  `Referrer-Policy: same-origin` (no referrer leaves the site; a same-origin form post keeps its
  Origin header, which the codec sign-in checks; `no-referrer` would turn it into `null`).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers.setdefault("Cache-Control", "no-store")
                if headers.get("content-type", "").lower().startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", PAGE_CSP)
                    headers["X-Frame-Options"] = "DENY"
                    headers.setdefault("Referrer-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, with_headers)
