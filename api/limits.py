"""Guards at the ASGI edge, before FastAPI sees a request.

- Request bodies larger than `max_body_bytes` get 413, whether the client
  announces the size (Content-Length) or streams it (chunked): the bytes are
  counted as they arrive, so an oversized body is never read into memory whole.
- A body that is not JSON (by its Content-Type) gets 415.
- A path or query string longer than MAX_URL_BYTES gets 414 (ids and filters are short).
- Any exception escaping a route becomes a 500 problem+json; the log gets the
  exception type, the route, the case id and the stack frames, never the
  exception's message (it may carry SQL parameters, i.e. personal data).
"""

from __future__ import annotations

from email.message import Message

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message as ASGIMessage, Receive, Scope, Send

from api.errors import HTTP_TEXTS, internal_error, log_crash, problem_response


MAX_URL_BYTES = 2048


class BodyTooLarge(HTTPException):
    """Raised from `receive` while a body streams in; FastAPI passes HTTPExceptions through to the handlers."""

    def __init__(self, limit: int):
        super().__init__(413, too_large(limit))


def too_large(limit: int) -> str:
    return f"Die Anfrage ist zu groß (höchstens {limit // 1024} KiB)."


def is_json(content_type: str) -> bool:
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


class RequestLimits:
    """Pure ASGI middleware: body size (413), body media type (415), and no crash leaks (500)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = 64 * 1024):
        self.app, self.limit = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        refusal = self._refusal(request)
        if refusal is not None:
            return await refusal(scope, receive, send)
        received, started = 0, False

        async def counting_receive() -> ASGIMessage:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def watching_send(message: ASGIMessage) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as exc:
            if not started:
                await problem_response(request, 413, "too-large", HTTP_TEXTS[413][0], exc.detail)(scope, receive, send)
        except Exception as exc:  # the last line of defence: nothing internal reaches the client
            log_crash(request, exc)
            if not started:
                await internal_error(request)(scope, receive, send)

    def _refusal(self, request: Request):
        scope = request.scope
        if len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b"")) > MAX_URL_BYTES:
            return problem_response(request, 414, "uri-too-long", *HTTP_TEXTS[414])
        length = request.headers.get("content-length")
        if length is not None and not length.isdigit():
            return problem_response(request, 400, "bad-request", *HTTP_TEXTS[400])
        if length is not None and int(length) > self.limit:
            return problem_response(request, 413, "too-large", HTTP_TEXTS[413][0], too_large(self.limit))
        chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
        if (chunked or int(length or 0) > 0) and not is_json(request.headers.get("content-type", "")):
            return problem_response(request, 415, "unsupported-media-type", *HTTP_TEXTS[415])
        return None
