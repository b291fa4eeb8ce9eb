"""`fahrplan audit verify` and `fahrplan erase`: the audit chain and Art. 17 erasure from the shell.

fahrplan audit verify [--database-url URL] [--ohne-temporal]
    exit 0: intact; 1: broken (each broken case with its first broken link); 2: not all could be checked
fahrplan erase CASE_ID [--actor WHO] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import getpass

from persistence.db import Database
from worker.commands import load_settings


def _url(args: argparse.Namespace) -> str:
    if args.database_url:
        return args.database_url
    return load_settings().db_url


async def _verify(args: argparse.Namespace) -> int:
    from runtime.settings import Settings
    from worker.audit_anchors import run_verify

    code, text = await run_verify(Settings(), args.database_url, with_temporal=not args.ohne_temporal)
    print(text)
    return code


async def _erase(url: str, case_id: str, actor: str) -> int:
    from persistence import erasure

    db = Database(url)
    try:
        done = await erasure.erase(db, case_id, actor, "cli")
    except erasure.CaseUnknown:
        print(f"Fall {case_id} ist unbekannt.")
        return 1
    except erasure.AlreadyErased as earlier:
        print(f"Bereits gelöscht (Löschung {earlier.erasure_id} vom {earlier.erased_at:%d.%m.%Y}): nichts zu tun.")
        return 0
    except erasure.CasesStillOpen as refused:
        print("Löschung nicht möglich: nicht abgeschlossen sind die Fälle " + ", ".join(refused.case_ids) + ".")
        return 1
    finally:
        await db.dispose()
    counts = ", ".join(f"{name}: {n}" for name, n in done.counts.items())
    print(f"Gelöscht (Löschung {done.erasure_id}) in den Fällen {', '.join(done.case_ids)}: {counts}")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    return asyncio.run(_verify(args))


def cmd_erase(args: argparse.Namespace) -> int:
    return asyncio.run(_erase(_url(args), args.case_id, args.actor or getpass.getuser()))


def add(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="Audit-Kette prüfen").add_subparsers(dest="audit_command", required=True)
    verify = audit.add_parser(
        "verify", help="jede Hash-Kette neu berechnen und mit den Workflows abgleichen; Exit 1 bei einem Bruch"
    )
    verify.add_argument("--database-url", default=None, help="Standard: aus den Einstellungen")
    verify.add_argument(
        "--ohne-temporal", action="store_true", help="nur die Datenbank prüfen, ohne Abgleich mit den Workflows"
    )
    verify.set_defaults(func=cmd_audit_verify)
    erase = sub.add_parser("erase", help="personenbezogene Daten eines abgeschlossenen Falls löschen (Art. 17 DSGVO)")
    erase.add_argument("case_id")
    erase.add_argument("--actor", default=None, help="wer die Löschung veranlasst (Standard: der angemeldete Benutzer)")
    erase.add_argument("--database-url", default=None, help="Standard: aus den Einstellungen")
    erase.set_defaults(func=cmd_erase)
