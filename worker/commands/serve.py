"""`fahrplan worker`, `fahrplan api`, `fahrplan migrate`: the production processes, against the
Temporal and database of the settings (README "Configuration")."""

from __future__ import annotations

import argparse

from runtime import aio, heap
from worker.commands import load_settings


def run_worker(args: argparse.Namespace) -> int:
    from worker.main import run_worker

    settings = load_settings()
    heap.settle()
    aio.run(run_worker(settings))
    return 0


def run_api(args: argparse.Namespace) -> int:
    from api.app import create_app
    from runtime.http_server import serve

    settings = load_settings()
    app = create_app(settings)
    heap.settle()
    serve(app, settings)
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    from persistence.migrate import upgrade

    upgrade(load_settings().db_url)
    print("Datenbank ist auf dem neuesten Stand.")
    return 0


def add(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("worker", help="nur den Worker starten").set_defaults(func=run_worker)
    sub.add_parser("api", help="nur die API starten").set_defaults(func=run_api)
    sub.add_parser("migrate", help="Datenbankmigrationen anwenden").set_defaults(func=run_migrate)
