"""A request body must arrive in time (issue: slow bodies held connections for ever).

Pure ASGI middleware, outside every other one but the security headers: from the moment a
request reaches the app (its headers are complete; runtime/http_server.py bounds those), its
body must arrive within `seconds`, or the request gets 408 problem+json and the connection is
closed. A response that starts before the body has arrived completely (a 404, a 401, a refusal
that never reads the body) carries `Connection: close`, so a client cannot keep the connection
busy by trickling the rest of a body nobody reads.
"""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import HTTP_TEXTS, problem_response

CLOSE = {"Connection": "close"}


class BodyTooSlow(HTTPException):
    """Raised from `receive`; FastAPI passes HTTPExceptions through to the problem handlers."""

    def __init__(self, seconds: float):
        super().__init__(408, too_slow(seconds), headers=CLOSE)


def too_slow(seconds: float) -> str:
    return f"Der Inhalt der Anfrage kam nicht rechtzeitig an (binnen {seconds:g} s)."


def expects_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
        if name == b"transfer-encoding":
            return True
    return False


class BodyTimeout:
    def __init__(self, app: ASGIApp, seconds: float):
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        deadline = asyncio.get_running_loop().time() + self.seconds
        complete, started = not expects_body(scope), False

        async def timed_receive() -> Message:
            nonlocal complete
            if complete:  # after the body only the disconnect is left to wait for: no deadline
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTooSlow(self.seconds) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        async def closing_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                if not complete and not any(name.lower() == b"connection" for name, _ in headers):
                    message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, timed_receive, closing_send)
        except BodyTooSlow as slow:  # raised where no problem handler caught it
            if not started:
                request = Request(scope)
                await problem_response(request, 408, "request-timeout", HTTP_TEXTS[408][0], slow.detail, CLOSE)(
                    scope, receive, send
                )
