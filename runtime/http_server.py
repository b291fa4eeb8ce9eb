"""The HTTP server (uvicorn) of `fahrplan api` and `fahrplan up`, bounded against slow and many clients.

uvicorn bounds neither the time a client may take to send a request's headers nor the number
of open connections: a connection that sends nothing, or one byte now and then, stays open for
ever (its keep-alive timer runs only between requests, and every byte resets it), and its
`limit_concurrency` answers 503 only once a request's headers are complete, so it never sees a
slow one. `GuardedHttpTools` closes those gaps at the protocol level:

- the request line and headers must arrive within `api_header_timeout_seconds` of the connection
  opening or of the end of the previous response, and within MAX_HEADER_BYTES (408, 431);
- beyond `api_max_connections` open connections a new one gets 503 and is closed at once.

The body is bounded in the app (`api/body_timeout.py`: 408 after `api_body_timeout_seconds`,
and a response sent before the body is complete closes the connection), so it holds under any
ASGI server. The access log never shows a query string or anything under /codec/ beyond its
known paths (`AccessLogMask`): nothing a client puts there (a token, by mistake) reaches a log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from runtime.codec import ENDPOINT_PATH
from runtime.settings import Settings

MAX_HEADER_BYTES = 16 * 1024  # request line and headers together; ours are a few hundred bytes
REASONS = {
    400: b"Bad Request",
    408: b"Request Timeout",
    431: b"Request Header Fields Too Large",
    503: b"Service Unavailable",
}
CODEC_PATHS = frozenset(f"{ENDPOINT_PATH}/{p}" for p in ("decode", "encode", "anmelden", "abmelden"))


def _problem(status: int, slug: str, title: str, detail: str, headers: dict[str, str] | None = None) -> bytes:
    """A complete problem+json response, written straight to the socket (no request reached the app)."""
    problem = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail}
    body = json.dumps(problem, ensure_ascii=False).encode()
    lines = [f"HTTP/1.1 {status} ".encode() + REASONS[status]]
    fields = {
        "content-type": "application/problem+json",
        "content-length": str(len(body)),
        "connection": "close",
        "x-content-type-options": "nosniff",  # as api/security_headers.py puts on every app response
        "cache-control": "no-store",
    }
    lines += [f"{k}: {v}".encode() for k, v in (fields | (headers or {})).items()]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for headers, a header size cap and a connection cap.

    Configured per server by `guarded_protocol` (class attributes, as uvicorn builds one
    protocol instance per connection from the class)."""

    header_timeout: float = 10.0
    max_connections: int = 512

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._header_bytes, self._message_started = 0, False
        if len(self.connections) > self.max_connections:
            detail = "Der Dienst ist ausgelastet (zu viele offene Verbindungen). Bitte gleich erneut versuchen."
            return self._refuse(
                _problem(503, "unavailable", "Vorübergehend nicht verfügbar", detail, {"retry-after": "5"})
            )
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        waiting = self._deadline is not None
        super().data_received(data)
        if waiting and self._deadline is not None and not self.transport.is_closing():
            self._header_bytes += len(data)  # headers still incomplete after this chunk
            if self._header_bytes > MAX_HEADER_BYTES:
                detail = f"Anfragezeile und Kopfzeilen sind zu lang (höchstens {MAX_HEADER_BYTES // 1024} KiB)."
                self._refuse(_problem(431, "headers-too-large", "Kopfzeilen zu groß", detail))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._message_started = True
        self._await_headers()  # a pipelined request: its own headers count from here

    def on_headers_complete(self) -> None:
        self._stop_deadline()
        self._header_bytes, self._message_started = 0, False
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._await_headers()  # idle now: the next request's headers are due within the bound

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request it cannot parse, with nosniff like every other response."""
        self._refuse(_problem(400, "bad-request", "Ungültige Anfrage", "Die Anfrage ist kein gültiges HTTP."))

    def _await_headers(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _stop_deadline(self) -> None:
        if getattr(self, "_deadline", None) is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if not self._message_started:  # an idle connection: nothing to answer
            self.transport.close()
            return
        detail = f"Die Anfrage kam nicht rechtzeitig an (Kopfzeilen binnen {self.header_timeout:g} s)."
        self._refuse(_problem(408, "request-timeout", "Zeitüberschreitung", detail))

    def _refuse(self, response: bytes) -> None:
        self._stop_deadline()
        self.transport.write(response)
        self.transport.close()


def guarded_protocol(settings: Settings) -> type[GuardedHttpTools]:
    return type(
        "GuardedHttpTools",
        (GuardedHttpTools,),
        {"header_timeout": settings.api_header_timeout_seconds, "max_connections": settings.api_max_connections},
    )


class AccessLogMask(logging.Filter):
    """uvicorn's access log line is `client - "METHOD path HTTP/x" status`; the path loses its query
    string, and any path under /codec/ other than the endpoint's own becomes /codec/…."""

    _codec = re.compile(rf"^{re.escape(ENDPOINT_PATH)}/")

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], mask_path(args[2]), *args[3:])
        return True


def mask_path(full_path: str) -> str:
    path, query = full_path.partition("?")[::2]
    if AccessLogMask._codec.match(path) and path not in CODEC_PATHS:
        path = f"{ENDPOINT_PATH}/…"
    return path + ("?…" if query else "")


def server_config(app, settings: Settings, **overrides) -> uvicorn.Config:
    options = {
        "host": settings.api_host,
        "port": settings.api_port,
        "http": guarded_protocol(settings),
        "timeout_keep_alive": settings.api_keep_alive_seconds,
        # SIGTERM: stop accepting, let requests in flight finish (a transition waits at most
        # update_timeout_seconds for Temporal), then cancel what is left.
        "timeout_graceful_shutdown": math.ceil(settings.update_timeout_seconds + 5),
        "log_config": None,  # uvicorn logs through the process's handler (runtime/logs.py), WARNING and up
    } | overrides
    config = uvicorn.Config(app, **options)  # configures logging: the mask goes on afterwards
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessLogMask) for f in access.filters):
        access.addFilter(AccessLogMask())
    return config


def serve(app, settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM (uvicorn's own signal handling)."""
    uvicorn.Server(server_config(app, settings)).run()
