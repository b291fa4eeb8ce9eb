"""Schemathesis against the real API: uvicorn on a free port, the app wired to the
time-skipping Temporal test server, a real worker and a fresh database: once on SQLite,
once on PostgreSQL (FAHRPLAN_TEST_POSTGRES).

Not collected by `make test` (the file name does not match test_*.py); run it with
`make fuzz` (both parametrizations at the same time, each with its own log; one of them alone:
`.venv/bin/pytest "tests/fuzz/fuzz_api.py::test_fuzz_every_endpoint[sqlite]" -q -s`). The schemathesis CLI
runs as a subprocess against the served OpenAPI document with a staff token that has
every staff role; the server counts what it receives. Passes only with zero
failures (no 5xx, every status, media type and body as documented) and at least
MIN_REQUESTS requests, and only if the fuzzer sent NUL characters (U+0000, which
PostgreSQL refuses in text: issue 13) in at least MIN_NUL_REQUESTS of them, so a
schemathesis that stopped generating them cannot pass unnoticed.
FAHRPLAN_FUZZ_EXAMPLES / FAHRPLAN_FUZZ_SEED tune the run.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
from collections import Counter
from pathlib import Path

import uvicorn

from api.app import create_app
from api.nul import NUL, first_nul
from runtime.settings import PARTICIPANT, ROLES, Settings, TokenUser
from tests.conftest import serving
from tests.fuzz.seed import seed_data

MIN_REQUESTS = 1000
MIN_NUL_REQUESTS = 20
TOKEN = "tok-fuzz-staff"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
EXAMPLES = os.environ.get("FAHRPLAN_FUZZ_EXAMPLES", "40")
SEED = os.environ.get("FAHRPLAN_FUZZ_SEED", "20271")


class Counting:
    """ASGI wrapper: counts the requests the server answered, by status, and the statuses of
    those that carried a NUL character (in path, query string or JSON body)."""

    def __init__(self, app):
        self.app, self.statuses, self.with_nul = app, Counter(), Counter()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        body = bytearray()

        async def noting_receive():
            message = await receive()
            body.extend(message.get("body", b""))
            return message

        async def noting_send(message):
            if message["type"] == "http.response.start":
                self.statuses[message["status"]] += 1
                if _has_nul(scope, bytes(body)):
                    self.with_nul[message["status"]] += 1
            await send(message)

        await self.app(scope, noting_receive, noting_send)


def _has_nul(scope, body: bytes) -> bool:
    if NUL in scope["path"] or b"%00" in scope.get("query_string", b""):
        return True
    if b"\x00" in body:
        return True
    try:
        return b"\\u0000" in body and first_nul(json.loads(body)) is not None
    except ValueError:
        return False


async def test_fuzz_every_endpoint(client, database, tmp_path):
    staff = TokenUser(user="fuzz-1", roles=[r for r in ROLES if r != PARTICIPANT])
    async with serving(client, db=database) as worker:
        settings = Settings(
            task_queue=worker.task_queue, api_tokens={TOKEN: staff}, data_dir=tmp_path, update_timeout_seconds=10
        )
        app = Counting(create_app(settings, client=client, db=database))
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
        serve = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                await asyncio.sleep(0.05)
            ids = await seed_data(base, TOKEN)
            seeded = sum(app.statuses.values())
            started = time.monotonic()
            code, output = await _schemathesis(base, tmp_path, ids)
            seconds = time.monotonic() - started
        finally:
            server.should_exit = True
            await serve
            sock.close()
    fuzzed = sum(app.statuses.values()) - seeded
    print(
        f"\nschemathesis on {database.backend}: {fuzzed} requests in {seconds:.0f} s, "
        f"statuses {dict(sorted(app.statuses.items()))}, with NUL {dict(sorted(app.with_nul.items()))}"
    )
    (tmp_path / "schemathesis.txt").write_text(output)
    print(output[-20000:] if code else output[-3000:])
    assert code == 0, "schemathesis found failures (see the output above)"
    assert not [s for s in app.statuses if s >= 500]
    assert fuzzed >= MIN_REQUESTS
    assert sum(app.with_nul.values()) >= MIN_NUL_REQUESTS, "schemathesis sent (almost) no NUL characters"


async def _schemathesis(base: str, tmp_path: Path, ids: dict) -> tuple[int, str]:
    cli = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{base}/api/v1/openapi.json",
        "--checks",
        CHECKS,
        "--header",
        f"Authorization: Bearer {TOKEN}",
        "--max-examples",
        EXAMPLES,
        "--seed",
        SEED,
        "--generation-allow-x00",  # the default, stated: NUL characters are part of what must be refused
        "true",
        # One worker: with two, schemathesis generates in two threads, and CPython 3.11's ast.parse
        # (which Hypothesis calls to describe a filter's lambda) is not thread-safe there: a
        # "SystemError: AST constructor recursion depth mismatch" (cpython gh-106905) ended CI's
        # run as a schemathesis runtime error. Costs about 1.5 minutes per database.
        "--workers",
        "1",
        "--no-shrink",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path / "schemathesis"),
    ]
    env = os.environ | {
        "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",
        "FAHRPLAN_FUZZ_IDS": json.dumps(ids),
        "NO_COLOR": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    process = await asyncio.create_subprocess_exec(
        *cli,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
        cwd=tmp_path,  # its cache too
    )
    output, _ = await process.communicate()
    return process.returncode, output.decode(errors="replace")
