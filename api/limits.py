"""Guards at the ASGI edge, before FastAPI sees a request.

- Request bodies larger than `max_body_bytes` get 413, whether the client
  announces the size (Content-Length) or streams it (chunked): the bytes are
  counted as they arrive, so an oversized body is never read into memory whole.
- A body that is not JSON (by its Content-Type) gets 415, except the workbench's urlencoded
  form posts outside /api and /codec (api/pages/).
- A path or query string longer than MAX_URL_BYTES gets 414 (ids and filters are short).
- A NUL character (U+0000) anywhere in the path, the percent-decoded query string or a JSON
  body (its decoded strings and keys) gets 422 (api/nul.py): PostgreSQL refuses NUL in text
  (a DataError, so a 500), SQLite stores it and it would end up in letters.
- Any exception escaping a route becomes a 500 problem+json; the log gets the
  exception type, the route, the case id and the stack frames, never the
  exception's message (it may carry SQL parameters, i.e. personal data).
"""

from __future__ import annotations

from email.message import Message
from functools import lru_cache

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as ASGIMessage

from api import nul
from api.errors import HTTP_TEXTS, internal_error, log_crash, problem_response

MAX_URL_BYTES = 2048


def too_large(limit: int) -> str:
    return f"Die Anfrage ist zu groß (höchstens {limit // 1024} KiB)."


@lru_cache(maxsize=64)  # asked for every request with a body; clients send few distinct values
def is_json(content_type: str) -> bool:
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


PAGE_FORM = "application/x-www-form-urlencoded"


def is_page_form(request: Request, content_type: str) -> bool:
    """A form post of the workbench (api/pages/): outside the JSON API, urlencoded. Its size is
    bounded here like any body; the pages read it and refuse NUL characters themselves."""
    path = request.scope["path"]
    return not path.startswith(("/api/", "/codec")) and content_type.split(";")[0].strip().lower() == PAGE_FORM


class RequestLimits:
    """Pure ASGI middleware: body size (413), body media type (415), NUL characters (422),
    and no crash leaks (500)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = 64 * 1024):
        self.app, self.limit = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        refusal = self._refusal(request) or nul.in_url(request)
        if refusal is not None:
            if self._has_body(request) and not self._declared_too_large(request):
                # Read what the client sends (within the limit) before answering: a connection closed
                # with unread bytes is reset by the kernel, and the client may lose the answer.
                await self._read_body(receive)
            return await refusal(scope, receive, send)
        if self._has_body(request):
            # The whole body (at most `limit` bytes) is read here, before any route: its JSON is
            # checked for NUL characters, then handed on unchanged.
            body = await self._read_body(receive)
            if body is None:
                return  # the client went away
            if len(body) > self.limit:
                return await self._too_large(request)(scope, receive, send)
            refusal = nul.in_body(request, body)
            if refusal is not None:
                return await refusal(scope, receive, send)
            receive = _replaying(body, receive)
        started = False

        async def watching_send(message: ASGIMessage) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except Exception as exc:  # noqa: BLE001 - the last line of defence, see the docstring
            log_crash(request, exc)
            if not started:
                await internal_error(request)(scope, receive, send)

    @staticmethod
    def _has_body(request: Request) -> bool:
        chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
        return chunked or int(request.headers.get("content-length") or 0) > 0

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The body as it streams in, counted: reading stops one chunk past the limit (None: disconnected)."""
        chunks, received = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            chunks.append(chunk)
            received += len(chunk)
            if received > self.limit or not message.get("more_body", False):
                return b"".join(chunks)

    def _declared_too_large(self, request: Request) -> bool:
        length = request.headers.get("content-length")
        return length is not None and (not length.isdigit() or int(length) > self.limit)

    def _too_large(self, request: Request):
        return problem_response(request, 413, "too-large", HTTP_TEXTS[413][0], too_large(self.limit))

    def _refusal(self, request: Request):
        scope = request.scope
        if len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b"")) > MAX_URL_BYTES:
            return problem_response(request, 414, "uri-too-long", *HTTP_TEXTS[414])
        length = request.headers.get("content-length")
        if length is not None and not length.isdigit():
            return problem_response(request, 400, "bad-request", *HTTP_TEXTS[400])
        if length is not None and int(length) > self.limit:
            return self._too_large(request)
        chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
        content_type = request.headers.get("content-type", "")
        if (chunked or int(length or 0) > 0) and not (is_json(content_type) or is_page_form(request, content_type)):
            return problem_response(request, 415, "unsupported-media-type", *HTTP_TEXTS[415])
        return None


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then waits for the disconnect."""
    pending = True

    async def replay() -> ASGIMessage:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
