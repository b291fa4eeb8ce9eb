"""The change of law at scale (R62): how long `fahrplan regime switch` takes for N running cases.

    .venv/bin/python -m bench.regime_switch [-n 10000] [-c 32]
    .venv/bin/python -m bench.regime_switch -n 10000 --dry-run-only   # read model only, no Temporal

Starts a Temporal dev server (headless, file-backed) and a `fahrplan worker` process on a fresh
SQLite database, starts N kooperationsplan cases under buergergeld_2023 straight through the
Temporal client (their first activity writes the read model, as for a case opened by a case),
waits until every case is recorded, then times the
dry run (`plan` + report: the read model only) and the real run (`apply`: one update per case,
each recorded as an audit event), checks that every case moved and that a second plan is empty.
With --dry-run-only it writes N read-model rows straight into a fresh database (the dry run reads
nothing else) and times the dry run alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.environment import dev_server, fahrplan_env, fahrplan_process, free_port, fresh_database, wait_until
from persistence import models as m
from persistence.db import Database
from runtime import signing
from runtime.settings import Settings
from runtime.temporal import connect, register_search_attributes, workflow_id
from statemachines.regimes import Regimes
from worker import regime_switch
from workflows import search_attributes
from workflows.messages import CaseInput

STICHTAG = date(2026, 7, 1)


async def _start(client, settings: Settings, n: int, concurrency: int) -> None:
    old = Regimes.load().get("buergergeld_2023")
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        case_id = str(uuid.uuid4())
        async with gate:
            await client.start_workflow(
                "kooperationsplan",
                CaseInput(case_id=case_id, process="kooperationsplan", policy=old.policy(), regime=old),
                id=workflow_id("kooperationsplan", case_id),
                task_queue=settings.task_queue,
            )
            # Every case stays in potenzialanalyse: a transition needs the API's signed request and its
            # request row (issue 13), which this bench, starting workflows directly, does not write.

    await asyncio.gather(*(one() for _ in range(n)))


async def _recorded(db: Database) -> int:
    stmt = select(func.count()).select_from(m.Case.__table__)
    return await db.run(lambda session: session.scalar(stmt), read_only=True)


async def bench(args, workdir: Path, address: str, database_url: str) -> None:
    settings = Settings(
        _env_file=None,
        temporal_address=address,
        database_url=database_url,
        data_dir=workdir,
        task_queue=f"fahrplan-regime-{uuid.uuid4().hex[:8]}",
        regime="",
    )
    client = await wait_until(lambda: connect(settings), "Temporal dev server")
    await register_search_attributes(client, settings.temporal_namespace, search_attributes.ALL)
    env = fahrplan_env(settings, free_port(), None)
    db = Database(database_url)
    try:
        with fahrplan_process("worker", env, workdir):
            started = time.perf_counter()
            await _start(client, settings, args.cases, args.concurrency)
            for _ in range(3600):
                if await _recorded(db) >= args.cases:
                    break
                await asyncio.sleep(0.5)
            print(f"{args.cases} cases started and recorded in {time.perf_counter() - started:.0f} s", flush=True)
            target = settings.regimes().get("grundsicherung_2026")

            started = time.perf_counter()
            planned = await regime_switch.plan(db, target)
            report = regime_switch.report(planned, target, STICHTAG, dry_run=True)
            dry = time.perf_counter() - started
            print(report, f"\ndry run: {dry:.2f} s for {len(planned)} cases", flush=True)

            started = time.perf_counter()
            outcome = await regime_switch.apply(
                client,
                planned,
                target,
                settings.regime_policy(target),
                STICHTAG,
                signing.keys_from_settings(settings),
                concurrency=args.concurrency,
            )
            real = time.perf_counter() - started
            print(
                f"real run: {real:.1f} s for {len(planned)} cases ({len(planned) / real:.0f}/s): "
                f"changed {outcome.changed}, unchanged {outcome.unchanged}, failed {len(outcome.failed)}",
                flush=True,
            )
            left = await regime_switch.plan(db, target)
            print(f"second plan: {len(left)} cases left to change", flush=True)
    finally:
        await db.dispose()


async def dry_run_only(n: int, database_url: str) -> None:
    """The dry run reads only the read model: N rows of running cases under buergergeld_2023 in a mix
    of processes and states, one Schlichtung in twenty."""
    mix = [("kooperationsplan", "aktiv"), ("kooperationsplan", "in_erarbeitung"), ("neuantrag", "clearing_offen")]
    mix += [("rechtskreiswechsel", "eingeladen"), ("gruppencoaching", "probezeit")]
    now = datetime.now(UTC)
    rows = []
    for i in range(n):
        process, state = ("schlichtung", "beantragt") if i % 20 == 0 else mix[i % len(mix)]
        case_id = str(uuid.uuid4())
        rows.append(
            {
                "case_id": case_id,
                "process": process,
                "state": state,
                "facts": {},
                "deadlines": {"items": []},
                "overdue": False,
                "final": False,
                "version": 0,
                "workflow_id": workflow_id(process, case_id),
                "links": {},
                "created_at": now,
                "updated_at": now,
                "regime": None if i % 2 else "buergergeld_2023",  # half from before migration 0010
            }
        )
    db = Database(database_url)
    try:
        await db.run(lambda session: session.execute(insert(m.Case.__table__), rows))
        target = Regimes.load().get("grundsicherung_2026")
        times = []
        for _ in range(5):
            started = time.perf_counter()
            planned = await regime_switch.plan(db, target)
            report = regime_switch.report(planned, target, STICHTAG, dry_run=True)
            times.append(time.perf_counter() - started)
        print(report)
        print(f"dry run for {len(planned)} cases: best {min(times):.3f} s, worst {max(times):.3f} s (5 runs)")
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", "-n", type=int, default=10_000)
    parser.add_argument("--concurrency", "-c", type=int, default=32)
    parser.add_argument("--dry-run-only", action="store_true", help="time the dry run on N read-model rows")
    args = parser.parse_args(argv)
    if args.dry_run_only:
        with tempfile.TemporaryDirectory(prefix="fahrplan-regime-") as tmp, fresh_database(None, Path(tmp)) as url:
            asyncio.run(dry_run_only(args.cases, url))
        return 0
    with tempfile.TemporaryDirectory(prefix="fahrplan-regime-") as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        address, _ = stack.enter_context(dev_server(workdir, workdir / "temporal.db"))
        database_url = stack.enter_context(fresh_database(None, workdir))
        try:
            asyncio.run(bench(args, workdir, address, database_url))
        except BaseException:
            for name in ("worker.log", "temporal.log"):
                with contextlib.suppress(OSError):
                    tail = (workdir / name).read_text(errors="replace").splitlines()[-20:]
                    print(f"--- last lines of {name}:", *tail, sep="\n", file=sys.stderr)
            raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
