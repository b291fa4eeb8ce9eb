"""Slow and many clients against a real uvicorn on a free port (runtime/http_server.py,
api/body_timeout.py): raw sockets that send nothing, headers byte by byte or a body byte by byte
are closed within the bounds, connections beyond the cap get 503 at once, and ordinary requests
keep working meanwhile."""

from __future__ import annotations

import asyncio
import gc
import json
import socket
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn

from api.app import create_app
from runtime.http_server import server_config
from runtime.settings import Settings
from tests.api_fixtures import TOKENS

HEADER_TIMEOUT = BODY_TIMEOUT = 1.0
SLACK = 2.0  # a loaded 2-core machine


@pytest.fixture(autouse=True)
def frozen_heap():
    """These tests time the server's deadlines on the test's own event loop. Late in the suite that
    process holds what 1,800 tests left behind, and a full collection of it can stall the loop for
    seconds (CI once saw every cut-off at 3.1 s instead of ~1.2 s): the heap is frozen meanwhile,
    as runtime/heap.py does for the real processes."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@asynccontextmanager
async def serving(client, db, tmp_path, **limits):
    settings = Settings(
        api_tokens=TOKENS,
        data_dir=tmp_path,
        api_header_timeout_seconds=limits.pop("header", HEADER_TIMEOUT),
        api_body_timeout_seconds=limits.pop("body", BODY_TIMEOUT),
        api_max_connections=limits.pop("connections", 1000),
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        server_config(create_app(settings, client=client, db=db), settings, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await task


async def slow_client(port: int, head: bytes, drip: bytes = b"", every: float = 0.2, wait: float = 30):
    """Send `head`, then `drip` one byte per `every` seconds; return (seconds until the server
    closed the connection, or None if it did not within `wait`; everything the server sent)."""
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started, received = loop.time(), b""

    async def dribble() -> None:
        for byte in drip:
            await asyncio.sleep(every)
            writer.write(bytes([byte]))
            await writer.drain()

    writer.write(head)
    dripping = asyncio.create_task(dribble())
    try:
        async with asyncio.timeout(wait):
            while chunk := await reader.read(65536):
                received += chunk
        return loop.time() - started, received
    except (ConnectionResetError, BrokenPipeError):
        return loop.time() - started, received
    except TimeoutError:
        return None, received
    finally:
        dripping.cancel()
        writer.close()


def headers_of(method: str, path: str, **extra: str) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: fahrplan.test",
        *(f"{k.replace('_', '-')}: {v}" for k, v in extra.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def status_of(received: bytes) -> int | None:
    return int(received.split(b" ", 2)[1]) if received.startswith(b"HTTP/1.1 ") else None


def problem_of(received: bytes) -> dict:
    head, _, body = received.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in head.lower(), head
    return json.loads(body)


async def test_slow_headers_and_slow_bodies_are_cut_off_while_others_are_served(client, sqlite_db, tmp_path):
    async with serving(client, sqlite_db, tmp_path) as port:
        auth = {"Authorization": "Bearer tok-egs"}
        body_head = headers_of("POST", "/api/v1/cases", Content_Type="application/json", Content_Length="1000", **auth)
        partial = b"POST /api/v1/cases HTTP/1.1\r\nHost: t\r\n"
        attackers = (
            [slow_client(port, b"") for _ in range(50)]  # connect, send nothing
            + [slow_client(port, partial, b"X-Langsam: 1\r\n" * 20) for _ in range(50)]  # headers byte by byte
            + [slow_client(port, body_head + b"{", b" " * 999) for _ in range(50)]  # 1 of 1000 bytes, then drops
        )
        attack = asyncio.gather(*attackers)
        await asyncio.sleep(0.3)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            ordinary = await http.get("/api/v1/healthz")
        results = await attack
    assert ordinary.status_code == 200
    silent, headers, bodies = results[:50], results[50:100], results[100:]
    assert all(seconds is not None and seconds <= HEADER_TIMEOUT + SLACK for seconds, _ in silent + headers), results
    assert all(seconds is not None and seconds <= BODY_TIMEOUT + SLACK for seconds, _ in bodies), bodies
    assert {received for _, received in silent} == {b""}  # an idle connection is just closed
    for _, received in headers:
        assert status_of(received) == 408 and problem_of(received)["type"] == "/problems/request-timeout"
        assert b"x-content-type-options: nosniff" in received.lower()
    for _, received in bodies:
        assert status_of(received) == 408, received[:200]
        assert b"connection: close" in received.lower() and "rechtzeitig" in problem_of(received)["detail"]


async def test_connections_beyond_the_cap_get_503_at_once(client, sqlite_db, tmp_path):
    async with serving(client, sqlite_db, tmp_path, connections=10, header=30) as port:
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(10)]
        await asyncio.sleep(0.3)  # accepted by the server
        refused = await asyncio.gather(*(slow_client(port, b"", wait=5) for _ in range(5)))
        assert all(seconds is not None and seconds < 2 for seconds, _ in refused), refused
        for _, received in refused:
            assert status_of(received) == 503 and problem_of(received)["type"] == "/problems/unavailable"
            assert b"retry-after: 5" in received.lower()
        for _, writer in held:
            writer.close()
        await asyncio.sleep(0.3)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/api/v1/healthz")).status_code == 200


async def test_a_trickled_body_to_an_unknown_route_is_cut_off_at_the_body_bound(client, sqlite_db, tmp_path):
    """The edge reads every JSON body before routing (api/limits.py refuses NUL characters in it),
    so even a request for an unknown route waits for its body: trickling it, one byte at a time,
    gets 408 at the body bound and the connection closed, never a connection held for ever (every
    byte would reset uvicorn's keep-alive timer)."""
    async with serving(client, sqlite_db, tmp_path, body=2) as port:
        head = headers_of("POST", "/api/v1/gibt-es-nicht", Content_Type="application/json", Content_Length="1000")
        seconds, received = await slow_client(port, head + b"{", b" " * 999, every=0.1, wait=10)
    assert status_of(received) == 408 and b"connection: close" in received.lower()
    assert seconds is not None and seconds < 5


async def _answer(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One HTTP/1.1 response (head, body) read off a kept-alive connection (Content-Length framed)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")
    )
    return head, await reader.readexactly(length)


async def test_a_refused_body_is_read_before_the_answer_so_the_connection_is_not_reset(client, sqlite_db, tmp_path):
    """A body refused by its media type (415) was answered unread with `Connection: close`: the
    kernel then resets a connection that still holds unread bytes, and the client may lose the
    answer (schemathesis on PostgreSQL: "Connection reset by peer"). Within the size limit the
    edge now reads the body first and the connection stays usable."""
    async with serving(client, sqlite_db, tmp_path) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            body = b'{"process": "neuantrag", "text": "' + b"x" * 40_000 + b'"}'
            head = headers_of(
                "POST",
                "/api/v1/cases",
                Content_Type="text/plain",
                Content_Length=str(len(body)),
                Authorization="Bearer tok-egs",
            )
            writer.write(head + body)
            await writer.drain()
            answer, problem = await asyncio.wait_for(_answer(reader), 10)
            assert status_of(answer) == 415 and json.loads(problem)["type"] == "/problems/unsupported-media-type"
            assert b"connection: close" not in answer.lower()
            writer.write(headers_of("GET", "/api/v1/healthz"))
            await writer.drain()
            again, _ = await asyncio.wait_for(_answer(reader), 10)
            assert status_of(again) == 200
        finally:
            writer.close()
