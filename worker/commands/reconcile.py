"""`fahrplan reconcile [--fix] [CASE_ID ...]`: compare the read model with the workflows
(worker/reconcile.py) and print each difference; `--fix` repairs what can be repaired.

exit 0: no difference (or all fixed); 1: differences left.
"""

from __future__ import annotations

import argparse

from runtime import aio
from worker.commands import load_settings

PARALLEL = 8  # as worker/reconcile.py's (a test keeps them equal); that module loads only when the command runs


async def _run(args: argparse.Namespace) -> int:
    from persistence.open import open_database
    from runtime.temporal import connect
    from worker.reconcile import reconcile

    settings = load_settings()
    client = await connect(settings)
    db = open_database(settings)
    try:
        found = await reconcile(
            client,
            db,
            task_queue=settings.task_queue,
            fix=args.fix,
            case_ids=args.case_ids or None,
            parallel=args.parallel,
        )
    finally:
        await db.dispose()
    for difference in found:
        print(difference.line())
    left = [d for d in found if not d.fixed]
    print(f"{len(found)} Abweichung(en), {len(found) - len(left)} behoben, {len(left)} offen.")
    return 1 if left else 0


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"eine ganze Zahl ab 1 erwartet, nicht {text!r}")
    return int(text)


def cmd_reconcile(args: argparse.Namespace) -> int:
    return aio.run(_run(args))


def add(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("reconcile", help="Read Model und Workflows abgleichen (nach Aktionen in der Temporal-UI)")
    parser.add_argument("case_ids", nargs="*", help="nur diese Fälle (Standard: alle)")
    parser.add_argument("--fix", action="store_true", help="Abweichungen beheben, wo möglich")
    parser.add_argument(
        "--parallel",
        type=_positive,
        default=PARALLEL,
        metavar="N",
        help=f"so viele Fälle gleichzeitig vergleichen (Standard: {PARALLEL})",
    )
    parser.set_defaults(func=cmd_reconcile)
