"""A lean HTTP/1.1 keep-alive client for the load generator.

The bare baseline is driven by the temporalio client, whose work happens mostly
in Rust; driving the API with httpx would add several milliseconds of Python
per request to the Fahrplan side of the same two cores. Like wrk or k6, this
client does the least a client can: one pooled connection per request in flight,
Content-Length bodies (what uvicorn sends for JSON), no redirects, no cookies.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Response:
    status_code: int
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}: {self.text[:200]}")


class LeanClient:
    def __init__(self, host: str, port: int, prefix: str = "") -> None:
        self.host, self.port, self.prefix = host, port, prefix
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return await self.request("GET", path, None, headers)

    async def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> Response:
        return await self.request("POST", path, json, headers)

    async def request(self, method: str, path: str, body: Any, headers: dict[str, str] | None) -> Response:
        payload = b"" if body is None else json.dumps(body).encode()
        head = [
            f"{method} {self.prefix}{path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(payload)}",
        ]
        if body is not None:
            head.append("Content-Type: application/json")
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + payload
        for attempt in (0, 1):  # a pooled connection the server closed meanwhile is retried once, fresh
            reader, writer = (
                self._idle.pop() if self._idle and attempt == 0 else await asyncio.open_connection(self.host, self.port)
            )
            try:
                writer.write(raw)
                status_line = await reader.readuntil(b"\r\n")
            except (ConnectionError, asyncio.IncompleteReadError):
                writer.close()
                if attempt:
                    raise
                continue
            break
        status = int(status_line.split(b" ", 2)[1])
        length, close = 0, False
        for line in (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
            elif name == b"transfer-encoding":
                raise RuntimeError("chunked responses are not supported by the bench client")
        content = await reader.readexactly(length)
        if close:
            writer.close()
        else:
            self._idle.append((reader, writer))
        return Response(status, content)

    async def aclose(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()
