"""I/O for the meldetermin and minderung workflows (R55, R64–R67).

- `meldetermin_versaeumnis_pruefen` (prepare of kein_wichtiger_grund): counts the person's
  consecutive missed appointments across their meldetermin cases (read model: an attended
  appointment or reporting in person resets it), checks for a running Schlichtung (R55) and
  names the Minderung's anlass (R66: not reachable from the configured count on).
- `minderung_vorschlag_berechnen` (prepare of the hearing's end): the proposal
  (statemachines/minderung_vorschlag.py) from the regime and the person's earlier Minderungen.
- `minderung_entscheidung_pruefen` (prepare of minderung_festgestellt): what a decision may
  still set under the cap, and R55 once more.
- `minderung_record_hook`: the letters' context (regime, answer period, the § 31b limit, the
  regime's values).
Logs carry case ids only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from temporalio import activity

from activities.extensions import ProcessIO
from persistence import models as m
from persistence.db import Database
from statemachines.minderung import ENTSCHEIDUNG, VORSCHLAG
from statemachines.minderung_vorschlag import (
    REGIME_LABELS,
    FruehereMinderung,
    anlass_fuer_versaeumnis,
    regeln,
    vorschlag,
)
from statemachines.policy import Policy
from workflows.messages import PrepareRequest, PrepareResult, TransitionRecord

VERSAEUMNIS_PRUEFEN = "meldetermin_versaeumnis_pruefen"
MISSED = ("meldetermin", "minderung_eingeleitet")
RESETS = (("meldetermin", "wahrgenommen"), ("minderung", "gemeldet"))
DECIDED = ("festgestellt", "leistungen_entzogen", "gemeldet")


async def person_of(session: AsyncSession, case_id: str) -> str | None:
    return await session.scalar(select(m.Case.person_id).where(m.Case.case_id == case_id))


async def versaeumnisse_in_folge(session: AsyncSession, person_id: str) -> int:
    """Missed appointments without good reason since the last attended one or report in person."""
    rows = await session.execute(
        select(m.Case.process, m.Case.state)
        .where(
            m.Case.person_id == person_id,
            or_(*(and_(m.Case.process == p, m.Case.state == s) for p, s in (MISSED, *RESETS))),
        )
        .order_by(m.Case.updated_at.desc(), m.Case.case_id)
    )
    count = 0
    for process, state in rows:
        if (process, state) != MISSED:
            break
        count += 1
    return count


async def schlichtung_laeuft(session: AsyncSession, person_id: str | None) -> bool:
    """R55: an open Schlichtung case of the person."""
    if person_id is None:
        return False
    found = await session.scalar(
        select(m.Case.case_id)
        .where(m.Case.person_id == person_id, m.Case.process == "schlichtung", m.Case.final.is_(False))
        .limit(1)
    )
    return found is not None


async def fruehere_minderungen(session: AsyncSession, person_id: str | None, case_id: str) -> list[FruehereMinderung]:
    """The person's Minderungen decided before (the facts a proposal rests on)."""
    if person_id is None:
        return []
    rows = await session.execute(
        select(m.Case.case_id, m.Case.facts).where(
            m.Case.person_id == person_id,
            m.Case.process == "minderung",
            m.Case.state.in_(DECIDED),
            m.Case.case_id != case_id,
        )
    )
    found = []
    for other, facts in rows:
        if not facts.get("entschieden_am") or not facts.get("beginn"):
            continue
        found.append(
            FruehereMinderung(
                case_id=other,
                anlass=facts["anlass"],
                ereignis_am=datetime.fromisoformat(facts["ereignis_am"]).date(),
                festgestellt_am=datetime.fromisoformat(facts["entschieden_am"]).date(),
                beginn=facts["beginn"],
                prozent=facts.get("prozent") or 0,
                monate=facts.get("monate") or 0,
                entzug=bool(facts.get("entzug")),
            )
        )
    return sorted(found, key=lambda f: (f.ereignis_am, f.case_id))


class MinderungActivities:
    def __init__(self, db: Database):
        self._db = db

    @activity.defn(name=VERSAEUMNIS_PRUEFEN)
    async def versaeumnis_pruefen(self, req: PrepareRequest) -> PrepareResult:
        policy = req.policy or Policy()
        async with self._db.unit_of_work(read_only=True) as session:
            person = await person_of(session, req.case_id)
            count = (await versaeumnisse_in_folge(session, person) if person else 0) + 1
            laeuft = await schlichtung_laeuft(session, person)
        anlass = anlass_fuer_versaeumnis(policy, req.facts["regime"], count)
        activity.logger.info("case %s: miss %d in a row, anlass %s", req.case_id, count, anlass)
        data = {"versaeumnisse_in_folge": count, "schlichtung_laeuft": laeuft, "minderung_anlass": anlass}
        return PrepareResult(data={**req.data, **data, "geprueft": True})

    @activity.defn(name=VORSCHLAG)
    async def vorschlag_berechnen(self, req: PrepareRequest) -> PrepareResult:
        policy, f = req.policy or Policy(), req.facts
        async with self._db.unit_of_work(read_only=True) as session:
            person = await person_of(session, req.case_id)
            frueher = await fruehere_minderungen(session, person, req.case_id)
            laeuft = await schlichtung_laeuft(session, person)
        v = vorschlag(
            policy,
            f["regime"],
            f["anlass"],
            datetime.fromisoformat(f["ereignis_am"]).date(),
            req.now.date(),
            frueher,
            f.get("versaeumnisse_in_folge") or 0,
        )
        activity.logger.info("case %s: proposal %s %% for %s months", req.case_id, v.prozent, v.monate)
        return PrepareResult(data={**req.data, "vorschlag": v.model_dump(mode="json"), "schlichtung_laeuft": laeuft})

    @activity.defn(name=ENTSCHEIDUNG)
    async def entscheidung_pruefen(self, req: PrepareRequest) -> PrepareResult:
        policy = req.policy or Policy()
        async with self._db.unit_of_work(read_only=True) as session:
            person = await person_of(session, req.case_id)
            frueher = await fruehere_minderungen(session, person, req.case_id)
            laeuft = await schlichtung_laeuft(session, person)
        today = req.now.date()
        laufend = sum(x.prozent for x in frueher if not x.entzug and x.laeuft_am(today))
        verfuegbar = max(0, policy.minderung_obergrenze_prozent - laufend)
        data = {"schlichtung_laeuft": laeuft, "verfuegbar_prozent": verfuegbar, "geprueft": True}
        return PrepareResult(data={**req.data, **data})


def minderung_record_hook(session: Session, rec: TransitionRecord) -> dict[str, Any]:
    """The letters name the regime, the answer period and (at the start) the regime's values."""
    if not rec.letters:
        return {}
    regime = rec.facts.get("regime") or ""
    context: dict[str, Any] = {
        "regime_label": REGIME_LABELS.get(regime, regime),
        "antwort_bis": next((d.due for d in rec.deadlines if d.trigger == "anhoerungsfrist_abgelaufen"), None),
        "regeln": None,
        # the RFB a breach followed (facts recorded before the field existed lack it)
        "grundlage": rec.facts.get("grundlage"),
    }
    if rec.policy is not None and regime in rec.policy.minderung_regeln:
        context["regeln"] = regeln(rec.policy, regime)
    return context


def _activities(db: Database) -> MinderungActivities:
    return MinderungActivities(db)


MELDETERMIN_IO = ProcessIO(
    "meldetermin",
    prepare={VERSAEUMNIS_PRUEFEN: lambda db: _activities(db).versaeumnis_pruefen},
    record_hook=minderung_record_hook,
)
MINDERUNG_IO = ProcessIO(
    "minderung",
    prepare={
        VORSCHLAG: lambda db: _activities(db).vorschlag_berechnen,
        ENTSCHEIDUNG: lambda db: _activities(db).entscheidung_pruefen,
    },
    record_hook=minderung_record_hook,
)
