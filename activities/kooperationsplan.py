"""I/O for the kooperationsplan and schlichtung workflows.

- `kp_entwurf_pruefen` (prepare of plan_vereinbart, fortgeschrieben, einigung): is the
  referenced draft stored, still a draft, of this plan case and unchanged?
- `schlichtung_befangenheit_pruefen` (prepare of schlichtungsperson_bestellt, R52): did the
  proposed Schlichtungsperson ever work on the plan case or on another case of the same person?
- `plan_record_hook` (sync: runs inside record_transition's transaction, in its database
  thread): the draft named by the facts becomes the valid plan version; letters get the plan
  as context.
- KOOPERATIONSPLAN_IO, SCHLICHTUNG_IO: both processes' I/O (activities/extensions.py), with the
  API's plan converters (activities/plan_drafts.py).
Logs carry case ids only, never plan content.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from temporalio import activity

from activities.extensions import ProcessIO
from activities.plan_drafts import draft_converter, schritt_converter
from persistence import models as m
from persistence.db import Database, as_utc
from persistence.kooperationsplan import (
    ENTWURF,
    PLAN_PROCESS,
    PlanVersion,
    gueltig_machen,
    plan_case_id,
    version,
    vorschlag_festhalten,
)
from persistence.vermerke import Vermerk
from statemachines.spec import SYSTEM
from workflows.messages import PrepareRequest, PrepareResult, TransitionRecord

ENTWURF_PRUEFEN = "kp_entwurf_pruefen"  # the `prepare` of the plan triggers
BEFANGENHEIT_PRUEFEN = "schlichtung_befangenheit_pruefen"  # the `prepare` of schlichtungsperson_bestellt

PLAN_TRIGGERS = frozenset({"plan_vereinbart", "fortgeschrieben", "schlichtung_beendet"})
NOT_STAFF = frozenset({SYSTEM, "unbekannt"})  # actors of events no staff member asked for
SCHLICHTUNG = "schlichtung"
VORSCHLAG = "vorschlag_unterbreitet"  # R53: the Schlichtung's proposal, kept with or without agreement


async def faelle_der_person(session: AsyncSession, plan_case: str) -> list[str]:
    """R52: the plan case and every other case of its person (the people table links them), except
    Schlichtungen: mediating is not counselling, and the running one is the Schlichtungsperson's own."""
    case = await session.get(m.Case, plan_case)
    if case is None or case.person_id is None:
        return [plan_case]
    others = await session.scalars(
        select(m.Case.case_id).where(
            m.Case.person_id == case.person_id, m.Case.case_id != plan_case, m.Case.process != SCHLICHTUNG
        )
    )
    return [plan_case, *others]


async def befasste_fachkraefte(session: AsyncSession, plan_case: str | None, facts: dict[str, Any]) -> set[str]:
    """R52: everyone in the audit trail, requests or Gesprächsvermerke (R15) of the plan case and of the
    person's other cases, and their lists of involved staff."""
    found = set(facts.get("beteiligte_fachkraefte") or [])
    if plan_case is not None:
        cases = await faelle_der_person(session, plan_case)
        found |= set(await session.scalars(select(m.CaseEvent.actor).where(m.CaseEvent.case_id.in_(cases))))
        found |= set(
            await session.scalars(select(m.TransitionRequest.actor).where(m.TransitionRequest.case_id.in_(cases)))
        )
        found |= set(await session.scalars(select(Vermerk.actor).where(Vermerk.case_id.in_(cases))))
        for case_facts in await session.scalars(select(m.Case.facts).where(m.Case.case_id.in_(cases))):
            found |= set((case_facts or {}).get("beteiligte_fachkraefte") or [])
    return {who.strip().casefold() for who in found if who and who not in NOT_STAFF}


class KooperationsplanActivities:
    def __init__(self, db: Database):
        self._db = db

    @activity.defn(name=ENTWURF_PRUEFEN)
    async def entwurf_pruefen(self, req: PrepareRequest) -> PrepareResult:
        data = dict(req.data)
        entwurf, digest = data.get("entwurf"), data.get("inhalt_hash")
        ok, schritte_bis = False, []
        if isinstance(entwurf, str) and isinstance(digest, str):
            async with self._db.unit_of_work(read_only=True) as session:
                plan_case = await plan_case_id(session, req.case_id)
                draft = await session.get(PlanVersion, entwurf)
                ok = bool(
                    draft and draft.status == ENTWURF and draft.case_id == plan_case and draft.inhalt_hash == digest
                )
                # R47: the steps' due dates (no text) go with the draft, for their follow-ups
                schritte_bis = [s.bis.isoformat() for s in draft.plan.schritte] if ok else []
        activity.logger.info("case %s: draft for %s checked: %s", req.case_id, req.trigger, ok)
        return PrepareResult(data={**data, "entwurf_geprueft": ok, "schritte_bis": schritte_bis})

    @activity.defn(name=BEFANGENHEIT_PRUEFEN)
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
    # the regime the step was taken under names the RFB's steps of a Minderung (R61, R65)
    return {"plan": _plan_context(current, review) if current else None, "regime": rec.regime}


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
    """The invitation names the end of the four weeks (R54); a recorded proposal is kept (R53)."""
    entwurf = rec.facts.get("vorschlag_entwurf") if rec.trigger == VORSCHLAG else None
    if entwurf and vorschlag_festhalten(session, entwurf, rec.sequence) is None:
        activity.logger.warning("case %s: no open draft for the Schlichtung's proposal", rec.case_id)
    if not rec.letters:
        return {}
    return {"frist_ende": next((d.due for d in rec.deadlines if d.trigger == "frist_abgelaufen"), None)}


def _entwurf_pruefen(db: Database):
    return KooperationsplanActivities(db).entwurf_pruefen


KOOPERATIONSPLAN_IO = ProcessIO(
    PLAN_PROCESS,
    prepare={ENTWURF_PRUEFEN: _entwurf_pruefen},
    record_hook=plan_record_hook,
    converters={
        "plan_vereinbart": draft_converter("vereinbart"),
        "fortgeschrieben": draft_converter("fortgeschrieben"),
        "schritt_erfasst": schritt_converter,
    },
)
SCHLICHTUNG_IO = ProcessIO(
    SCHLICHTUNG,
    prepare={
        ENTWURF_PRUEFEN: _entwurf_pruefen,
        BEFANGENHEIT_PRUEFEN: lambda db: KooperationsplanActivities(db).befangenheit_pruefen,
    },
    record_hook=schlichtung_record_hook,
    converters={"einigung": draft_converter("schlichtung"), VORSCHLAG: draft_converter("vorschlag")},
)
