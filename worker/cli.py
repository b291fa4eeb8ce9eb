"""The `fahrplan` command.

  fahrplan up        Temporal dev server (file-backed, UI on :8233) + migrations + worker + API on :8000
  fahrplan worker    the worker, against the Temporal and database of the settings
  fahrplan api       the API, against the Temporal and database of the settings
  fahrplan migrate   apply the database migrations
  fahrplan diagrams  regenerate diagrams/ from the process definitions
  fahrplan roles     rewrite the role matrix in README.md from the process definitions
  fahrplan demo      create sample cases through the running API
  fahrplan audit verify  check the audit trail's hash chains;  fahrplan erase CASE  Art. 17 erasure
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from runtime import aio, heap
from runtime.settings import Settings
from worker.audit_cli import add_commands as add_audit_commands

log = logging.getLogger("fahrplan")


def _settings() -> Settings:
    return Settings()


def cmd_up(args: argparse.Namespace) -> int:
    from worker.up import up

    heap.settle()
    return aio.run(up(_settings()))


def cmd_worker(args: argparse.Namespace) -> int:
    from worker.main import run_worker

    heap.settle()
    aio.run(run_worker(_settings()))
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app

    settings = _settings()
    # SIGTERM: stop accepting, let requests in flight finish (a transition waits at most
    # update_timeout_seconds for Temporal), then cancel what is left.
    grace = settings.update_timeout_seconds + 5
    app = create_app(settings)
    heap.settle()
    uvicorn.run(app, host=settings.api_host, port=settings.api_port, timeout_graceful_shutdown=grace)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from persistence.migrate import upgrade

    upgrade(_settings().db_url)
    print("Datenbank ist auf dem neuesten Stand.")
    return 0


def cmd_diagrams(args: argparse.Namespace) -> int:
    from runtime.diagrams import write_diagrams

    for path in write_diagrams(Path(args.target)):
        print(path)
    return 0


def cmd_roles(args: argparse.Namespace) -> int:
    from runtime.role_matrix import write_role_matrix

    print(f"{args.readme}: " + ("neu geschrieben" if write_role_matrix(Path(args.readme)) else "aktuell"))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from worker.demo import run_demo

    return run_demo(_settings(), args.api)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The database drivers log SQL with its parameters (personal data) at DEBUG/INFO: never below WARNING.
    for noisy in ("alembic", "httpx", "aiosqlite", "sqlalchemy", "psycopg"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="fahrplan", description="Fahrplan: Fallprozesse des Jobcenters auf Temporal")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="alles lokal starten (Temporal, Worker, API)").set_defaults(func=cmd_up)
    sub.add_parser("worker", help="nur den Worker starten").set_defaults(func=cmd_worker)
    sub.add_parser("api", help="nur die API starten").set_defaults(func=cmd_api)
    sub.add_parser("migrate", help="Datenbankmigrationen anwenden").set_defaults(func=cmd_migrate)
    diagrams = sub.add_parser("diagrams", help="Diagramme neu erzeugen")
    diagrams.add_argument("--target", default="diagrams")
    diagrams.set_defaults(func=cmd_diagrams)
    roles = sub.add_parser("roles", help="Rollenmatrix im README neu erzeugen")
    roles.add_argument("--readme", default="README.md")
    roles.set_defaults(func=cmd_roles)
    demo = sub.add_parser("demo", help="Beispielfälle über die laufende API anlegen")
    demo.add_argument("--api", default=None, help="Basis-URL der API (Standard: aus den Einstellungen)")
    demo.set_defaults(func=cmd_demo)
    add_audit_commands(sub)  # audit verify, erase
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
