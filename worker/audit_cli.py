"""`fahrplan audit verify` and `fahrplan erase`: the audit chain and Art. 17 erasure from the shell.

  fahrplan audit verify [--database-url URL]   exit 0: every chain intact, 1: the first broken link
  fahrplan erase CASE_ID [--actor WHO] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import getpass

from persistence.db import Database


def _url(args: argparse.Namespace) -> str:
    if args.database_url:
        return args.database_url
    from runtime.settings import Settings

    return Settings().db_url


async def _verify(url: str) -> int:
    from persistence.audit import summary, verify

    db = Database(url)
    try:
        report = await verify(db)
    finally:
        await db.dispose()
    print(summary(report))
    return 0 if report.ok else 1


async def _erase(url: str, case_id: str, actor: str) -> int:
    from persistence import erasure

    db = Database(url)
    try:
        done = await erasure.erase(db, case_id, actor, "cli")
    except erasure.CaseUnknown:
        print(f"Fall {case_id} ist unbekannt.")
        return 1
    except erasure.CasesStillOpen as refused:
        print("Löschung nicht möglich: nicht abgeschlossen sind die Fälle " + ", ".join(refused.case_ids) + ".")
        return 1
    finally:
        await db.dispose()
    counts = ", ".join(f"{name}: {n}" for name, n in done.counts.items())
    print(f"Gelöscht (Löschung {done.erasure_id}) in den Fällen {', '.join(done.case_ids)}: {counts}")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    return asyncio.run(_verify(_url(args)))


def cmd_erase(args: argparse.Namespace) -> int:
    return asyncio.run(_erase(_url(args), args.case_id, args.actor or getpass.getuser()))


def add_commands(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="Audit-Kette prüfen").add_subparsers(dest="audit_command", required=True)
    verify = audit.add_parser("verify", help="jede Hash-Kette neu berechnen; Exit 1 beim ersten Bruch")
    verify.add_argument("--database-url", default=None, help="Standard: aus den Einstellungen")
    verify.set_defaults(func=cmd_audit_verify)
    erase = sub.add_parser("erase", help="personenbezogene Daten eines abgeschlossenen Falls löschen (Art. 17 DSGVO)")
    erase.add_argument("case_id")
    erase.add_argument("--actor", default=None, help="wer die Löschung veranlasst (Standard: der angemeldete Benutzer)")
    erase.add_argument("--database-url", default=None, help="Standard: aus den Einstellungen")
    erase.set_defaults(func=cmd_erase)
