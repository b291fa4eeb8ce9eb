"""`fahrplan regime switch`: move running cases to another legal regime at the date the law sets (R62).

fahrplan regime switch --to grundsicherung_2026 --on 2026-07-01 [--dry-run]
    prints, per process and state, how many running cases change and by which rule; without
    --dry-run sends each change to its workflow (recorded there as one audit event per case).
    Exit 0: done (or nothing to do); 1: refused (unknown regime, before the date); 2: some cases
    could not be changed (listed; run it again: changed cases are skipped).
fahrplan regime list
    the regimes, their dates, and the one in force today
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date

from runtime import signing
from worker.commands import load_settings


async def _switch(args: argparse.Namespace) -> int:
    from persistence.open import open_database
    from runtime.temporal import connect
    from worker import regime_switch

    settings = load_settings()
    catalogue = settings.regimes()
    if args.to not in catalogue.by_name:
        print(f"Rechtsstand {args.to} ist unbekannt (bekannt: {', '.join(catalogue.by_name)}).")
        return 1
    target, stichtag = catalogue.get(args.to), date.fromisoformat(args.on)
    if target.gilt_ab is not None and stichtag < target.gilt_ab:
        print(f"{target.name} gilt erst ab {target.gilt_ab.isoformat()}, nicht am {stichtag.isoformat()}.")
        return 1
    if not args.dry_run and date.today() < stichtag:
        print(f"Der Wechsel ist erst am {stichtag.isoformat()} möglich; vorher nur mit --dry-run.")
        return 1
    db = open_database(settings)
    try:
        started = time.perf_counter()
        planned = await regime_switch.plan(db, target)
        print(regime_switch.report(planned, target, stichtag, args.dry_run))
        print(f"Geplant in {time.perf_counter() - started:.2f} s")
        if args.dry_run:
            return 0
        client = await connect(settings)
        started = time.perf_counter()
        outcome = await regime_switch.apply(
            client, planned, target, settings.regime_policy(target), stichtag, signing.keys_from_settings(settings)
        )
        took = time.perf_counter() - started
        print(f"Geändert: {outcome.changed}, unverändert: {outcome.unchanged}, fehlgeschlagen: {len(outcome.failed)}")
        print(f"Dauer: {took:.2f} s")
        for case_id, why in outcome.failed:
            print(f"  {case_id}: {why}")
        return 2 if outcome.failed else 0
    finally:
        await db.dispose()


def _list(args: argparse.Namespace) -> int:
    settings = load_settings()
    catalogue = settings.regimes()
    today = catalogue.get(settings.regime) if settings.regime else catalogue.in_force(date.today())
    for r in catalogue.ordered:
        bis = catalogue.gilt_bis(r.name)
        ab = r.gilt_ab.isoformat() if r.gilt_ab else "…"
        mark = " (gilt heute" + (", festgelegt mit FAHRPLAN_REGIME)" if settings.regime else ")") if r == today else ""
        print(f"{r.name:<24} {ab} bis {bis.isoformat() if bis else '…'}  {r.label}{mark}")
    return 0


def cmd_switch(args: argparse.Namespace) -> int:
    return asyncio.run(_switch(args))


def add(sub: argparse._SubParsersAction) -> None:
    regime = sub.add_parser("regime", help="Rechtsstände (R61, R62)").add_subparsers(
        dest="regime_command", required=True
    )
    switch = regime.add_parser("switch", help="laufende Fälle zum Stichtag in einen anderen Rechtsstand überführen")
    switch.add_argument("--to", required=True, help="Ziel-Rechtsstand, z. B. grundsicherung_2026")
    switch.add_argument("--on", required=True, help="Stichtag (JJJJ-MM-TT), z. B. 2026-07-01")
    switch.add_argument("--dry-run", action="store_true", help="nur zeigen, was sich ändern würde")
    switch.set_defaults(func=cmd_switch)
    listing = regime.add_parser("list", help="die Rechtsstände und ihre Daten")
    listing.set_defaults(func=_list)
