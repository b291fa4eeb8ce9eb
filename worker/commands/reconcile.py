"""`fahrplan reconcile [--fix] [CASE_ID ...]`: compare the read model with the workflows
(worker/reconcile.py) and print each difference; `--fix` repairs what can be repaired.

exit 0: no difference (or all fixed); 1: differences left.
"""

from __future__ import annotations

import argparse

from runtime import aio
from worker.commands import load_settings


async def _run(args: argparse.Namespace) -> int:
    from persistence.open import open_database
    from runtime.temporal import connect
    from worker.reconcile import reconcile

    settings = load_settings()
    client = await connect(settings)
    db = open_database(settings)
    try:
        found = await reconcile(client, db, fix=args.fix, case_ids=args.case_ids or None)
    finally:
        await db.dispose()
    for difference in found:
        print(difference.line())
    left = [d for d in found if not d.fixed]
    print(f"{len(found)} Abweichung(en), {len(found) - len(left)} behoben, {len(left)} offen.")
    return 1 if left else 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    return aio.run(_run(args))


def add(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("reconcile", help="Read Model und Workflows abgleichen (nach Aktionen in der Temporal-UI)")
    parser.add_argument("case_ids", nargs="*", help="nur diese Fälle (Standard: alle)")
    parser.add_argument("--fix", action="store_true", help="Abweichungen beheben, wo möglich")
    parser.set_defaults(func=cmd_reconcile)
