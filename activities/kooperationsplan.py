"""I/O for the kooperationsplan and schlichtung workflows.

- `kp_entwurf_pruefen` (prepare of plan_vereinbart, fortgeschrieben, einigung): is the
  referenced draft stored, still a draft, of this plan case and unchanged?
- `schlichtung_befangenheit_pruefen` (prepare of schlichtungsperson_bestellt, R52): did the
  proposed Schlichtungsperson ever work on the plan case?
- `plan_record_hook` (sync: runs inside record_transition's transaction, in its database
  thread): the draft named by the facts becomes the valid plan version; letters get the plan
  as context.
Logs carry case ids only, never plan content.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from temporalio import activity

from activities.cases import RecordHook
from persistence import models as m
from persistence.db import Database, as_utc
from persistence.kooperationsplan import ENTWURF, PLAN_PROCESS, PlanVersion, gueltig_machen, plan_case_id, version
from workflows.messages import PrepareRequest, PrepareResult, TransitionRecord

PLAN_TRIGGERS = frozenset({"plan_vereinbart", "fortgeschrieben", "schlichtung_beendet"})
NOT_STAFF = frozenset({"system", "unbekannt"})


async def befasste_fachkraefte(session: AsyncSession, plan_case: str | None, facts: dict[str, Any]) -> set[str]:
    """R52: everyone in the plan case's audit trail or requests, and its list of involved staff."""
    found = set(facts.get("beteiligte_fachkraefte") or [])
    if plan_case is not None:
        found |= set(await session.scalars(select(m.CaseEvent.actor).where(m.CaseEvent.case_id == plan_case)))
        found |= set(
            await session.scalars(select(m.TransitionRequest.actor).where(m.TransitionRequest.case_id == plan_case))
        )
        case = await session.get(m.Case, plan_case)
        found |= set((case.facts or {}).get("beteiligte_fachkraefte") or []) if case else set()
    return {who.strip().casefold() for who in found if who and who not in NOT_STAFF}


class KooperationsplanActivities:
    def __init__(self, db: Database):
        self._db = db

    def activities(self) -> list:
        return [self.entwurf_pruefen, self.befangenheit_pruefen]

    @activity.defn(name="kp_entwurf_pruefen")
    async def entwurf_pruefen(self, req: PrepareRequest) -> PrepareResult:
        data = dict(req.data)
        entwurf, digest = data.get("entwurf"), data.get("inhalt_hash")
        ok = False
        if isinstance(entwurf, str) and isinstance(digest, str):
            async with self._db.unit_of_work(read_only=True) as session:
                plan_case = await plan_case_id(session, req.case_id)
                draft = await session.get(PlanVersion, entwurf)
                ok = bool(
                    draft and draft.status == ENTWURF and draft.case_id == plan_case and draft.inhalt_hash == digest
                )
        activity.logger.info("case %s: draft for %s checked: %s", req.case_id, req.trigger, ok)
        return PrepareResult(data={**data, "entwurf_geprueft": ok})

    @activity.defn(name="schlichtung_befangenheit_pruefen")
    async def befangenheit_pruefen(self, req: PrepareRequest) -> PrepareResult:
        data = dict(req.data)
        person = data.get("schlichtungsperson")
        async with self._db.unit_of_work(read_only=True) as session:
            involved = await befasste_fachkraefte(session, await plan_case_id(session, req.case_id), req.facts)
        unbefangen = isinstance(person, str) and bool(person.strip()) and person.strip().casefold() not in involved
        activity.logger.info("case %s: Schlichtungsperson unbefangen (R52): %s", req.case_id, unbefangen)
        return PrepareResult(data={**data, "unbefangen": unbefangen})


def plan_record_hook(session: Session, rec: TransitionRecord) -> dict[str, Any]:
    facts = rec.facts
    if rec.trigger in PLAN_TRIGGERS and facts.get("plan_in_kraft") and facts.get("plan_entwurf"):
        made = gueltig_machen(
            session, rec.case_id, facts["plan_entwurf"], facts["plan_version"], rec.sequence, as_utc(rec.occurred_at)
        )
        if made is None:
            activity.logger.warning("case %s: no open draft for plan version %s", rec.case_id, facts["plan_version"])
    if not rec.letters:
        return {}
    current = version(session, rec.case_id)
    review = next((d.due for d in rec.deadlines if d.trigger == "ueberpruefung_faellig"), None)
    return {"plan": _plan_context(current, review) if current else None}


def _plan_context(row: PlanVersion, review) -> dict[str, Any]:
    plan = row.plan
    return {
        "version": row.version,
        "gueltig_ab": row.gueltig_ab,
        "ueberpruefung_bis": review,
        "in_kraft": row.status == "gueltig",
        "ziel": plan.ziel,
        "schritte": {wer: plan.schritte_von(wer) for wer in ("elb", "jobcenter", "dritte")},
        "beteiligte": plan.beteiligte,
    }


def schlichtung_record_hook(session: Session, rec: TransitionRecord) -> dict[str, Any]:
    """The invitation names the end of the four weeks (R54)."""
    if not rec.letters:
        return {}
    return {"frist_ende": next((d.due for d in rec.deadlines if d.trigger == "frist_abgelaufen"), None)}


RECORD_HOOKS: dict[str, RecordHook] = {PLAN_PROCESS: plan_record_hook, "schlichtung": schlichtung_record_hook}
