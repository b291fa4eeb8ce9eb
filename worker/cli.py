"""The `fahrplan` command: a thin dispatcher over worker/commands/.

fahrplan up        Temporal dev server (file-backed, UI on :8233) + migrations + worker + API on :8000
fahrplan worker    the worker, against the Temporal and database of the settings
fahrplan api       the API, against the Temporal and database of the settings
fahrplan migrate   apply the database migrations
fahrplan diagrams  regenerate diagrams/ from the process definitions
fahrplan roles     rewrite the role matrix in README.md from the process definitions
fahrplan demo      create sample cases through the running API
fahrplan audit verify  check the audit trail's hash chains;  fahrplan erase CASE  Art. 17 erasure
fahrplan reconcile [--fix]  compare read model and workflows (after operator actions in the Temporal UI)
fahrplan regime switch --to REGIME --on DATE [--dry-run]  move running cases to another legal regime (R62)
"""

from __future__ import annotations

import argparse
import sys

from runtime import logs
from worker.commands import audit, demo, diagrams, reconcile, regime, roles, serve, up

COMMANDS = (up, serve, diagrams, roles, demo, audit, regime, reconcile)


def main(argv: list[str] | None = None) -> int:
    # JSON lines, Fahrplan's own at INFO, libraries at WARNING (runtime/logs.py); the settings'
    # FAHRPLAN_LOG_FORMAT and FAHRPLAN_LOG_LEVEL take over once a command has loaded them.
    logs.configure()
    parser = argparse.ArgumentParser(prog="fahrplan", description="Fahrplan: Fallprozesse des Jobcenters auf Temporal")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
