"""The change of law for running cases (R62): what `fahrplan regime switch` plans and does.

`plan` reads the running cases (read model: not final) that do not run under the target regime
and decides per case by the target regime's transitional rule: "wechsel" (the case continues
under the new regime, its state kept), "beenden" (a running Schlichtung ends as
durch_rechtsaenderung_beendet; its plan case goes to ohne_plan) or "auslaufen" (a running
Schlichtung runs to its end under the regime it started in, R62 default; nothing is sent).
`apply` sends each planned change to the case's workflow (update `regime_wechseln`, one
update id per case and target, so a retry is the same update); the workflow records it as one
audit event with the rule. A case already moved is skipped by `plan`, and the workflow refuses
nothing but changes nothing when asked again: a second run changes nothing.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from persistence import models as m
from persistence.db import Database
from runtime import signing
from statemachines import Policy
from statemachines.regimes import LEGACY, Regime
from workflows.host import CaseWorkflow
from workflows.messages import CaseSnapshot, RegimeWechsel

WECHSEL, BEENDEN, AUSLAUFEN = "wechsel", "beenden", "auslaufen"
CHANGING = (WECHSEL, BEENDEN)


@dataclass(frozen=True)
class Planned:
    case_id: str
    process: str
    state: str
    workflow_id: str
    von: str
    regel: str


@dataclass(frozen=True)
class Outcome:
    changed: int
    unchanged: int  # the workflow answered without a change (moved or ended meanwhile)
    failed: list[tuple[str, str]]  # (case id, why): not running in Temporal, refused


async def send_regime_switch(
    client: Client,
    keys: signing.SigningKeys,
    wid: str,
    request: RegimeWechsel,
    update_id: str,
    timeout: float,
) -> CaseSnapshot:
    """Move one running case to another regime: the one place the update `regime_wechseln` is sent
    from, signed for this case like a transition (the workflow refuses it otherwise). The same
    update id for a case and target regime: a retried or repeated call is the same update."""
    issued_at = signing.issued_now()
    message = signing.regime_message(wid, request.signed_content(), issued_at)
    request = request.model_copy(update={"issued_at": issued_at, "signature": keys.sign(message)})
    handle = client.get_workflow_handle(wid)
    return await asyncio.wait_for(
        handle.execute_update(CaseWorkflow.regime_wechseln, request, id=update_id), timeout=timeout
    )


def rule_for(process: str, target: Regime) -> str:
    if process == "schlichtung":
        return BEENDEN if target.uebergang.schlichtung == "beenden" else AUSLAUFEN
    return WECHSEL


async def plan(db: Database, target: Regime) -> list[Planned]:
    """Every running case not under `target`, with the rule it gets (cases by process, state, id)."""
    c = m.Case.__table__.c
    stmt = (
        select(c.case_id, c.process, c.state, c.workflow_id, c.regime)
        .where(c.final.is_(False))
        .order_by(c.process, c.state, c.case_id)
    )
    rows = await db.run(lambda session: session.execute(stmt).all(), read_only=True)
    planned = []
    for row in rows:
        von = row.regime or LEGACY.name
        if von != target.name:
            planned.append(
                Planned(row.case_id, row.process, row.state, row.workflow_id, von, rule_for(row.process, target))
            )
    return planned


def report(planned: list[Planned], target: Regime, stichtag: date, dry_run: bool) -> str:
    """Per process, state and rule: how many cases (German, for the operator)."""
    title = f"Wechsel nach {target.name} zum {stichtag.isoformat()}" + (
        " (Probelauf, nichts geändert)" if dry_run else ""
    )
    counts = Counter((p.process, p.state, p.von, p.regel) for p in planned)
    lines = [title, f"{'Prozess':<20} {'Zustand':<30} {'bisher':<20} {'Regel':<10} {'Fälle':>6}"]
    for (process, state, von, regel), n in sorted(counts.items()):
        lines.append(f"{process:<20} {state:<30} {von:<20} {regel:<10} {n:>6}")
    changing = sum(1 for p in planned if p.regel in CHANGING)
    lines.append(f"Summe: {len(planned)} laufende Fälle nicht unter {target.name}, davon ändern sich {changing}")
    return "\n".join(lines)


async def apply(
    client: Client,
    planned: list[Planned],
    target: Regime,
    policy: Policy,
    stichtag: date,
    keys: signing.SigningKeys,
    *,
    concurrency: int = 32,
    timeout: float = 60.0,
) -> Outcome:
    """Send the change to every planned case whose rule changes it; returns what happened."""
    gate = asyncio.Semaphore(concurrency)
    changed, unchanged, failed = 0, 0, []

    async def one(p: Planned) -> None:
        nonlocal changed, unchanged
        request = RegimeWechsel(regime=target, policy=policy, regel=p.regel, stichtag=stichtag, request_id=None)
        async with gate:
            try:
                snap = await send_regime_switch(
                    client, keys, p.workflow_id, request, f"regime-{target.name}-{p.case_id}", timeout
                )
            except WorkflowUpdateFailedError as refused:
                failed.append((p.case_id, str(refused.cause or refused)))
                return
            except (RPCError, TimeoutError) as lost:  # not running (ended or terminated) or Temporal away
                failed.append((p.case_id, type(lost).__name__ + ": " + str(lost)[:200]))
                return
        moved = snap.regime == target.name or (p.regel == BEENDEN and snap.final)
        if moved:
            changed += 1
        else:
            unchanged += 1

    await asyncio.gather(*(one(p) for p in planned if p.regel in CHANGING))
    return Outcome(changed, unchanged, failed)
