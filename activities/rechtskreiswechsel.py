"""The booking activity of the Rechtskreiswechsel: the `prepare` step of einladen,
nicht_erschienen and veranstaltung_abgesagt (R30, R31, R33).

It books the next information event with a free place at the case's location
and returns what the workflow and the letter need: the event's id, time, place
and room (nothing personal). Logs carry case ids and event ids only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import activity

from activities.extensions import ProcessIO
from activities.infoveranstaltungen import kalender_anlegen, platz_buchen
from persistence.db import Database
from persistence.rechtskreiswechsel import Infoveranstaltung
from statemachines.policy import Policy
from statemachines.rechtskreiswechsel import BUCHEN, RechtskreiswechselFacts, buchbar_ab, bucht_platz
from workflows.messages import PrepareRequest, PrepareResult


def platz_data(veranstaltung: Infoveranstaltung | None) -> dict[str, Any]:
    if veranstaltung is None:
        return {"veranstaltung_id": None}
    return {
        "veranstaltung_id": veranstaltung.id,
        "beginn": veranstaltung.beginn.isoformat(),
        "dauer_minuten": veranstaltung.dauer_minuten,
        "standort": veranstaltung.standort,
        "adresse": veranstaltung.adresse,
        "raum": veranstaltung.raum,
    }


class RechtskreiswechselActivities:
    def __init__(self, db: Database):
        self._db = db

    @activity.defn(name=BUCHEN)
    async def infoveranstaltung_buchen(self, req: PrepareRequest) -> PrepareResult:
        policy = req.policy or Policy()
        facts = RechtskreiswechselFacts.model_validate(req.facts)
        kalender = policy.rkw_kalender
        ab = buchbar_ab(facts, policy, req.now)  # R30: about three months before ALG I ends
        if req.trigger == "nicht_erschienen" and facts.veranstaltung_termin is not None:
            ab = max(ab, facts.veranstaltung_termin + timedelta(minutes=1))  # R33: the next one after the missed event
        await kalender_anlegen(self._db, kalender, ab, facts.standort)
        veranstaltung = await platz_buchen(
            self._db,
            case_id=req.case_id,
            sequence=req.sequence,
            trigger=req.trigger,
            standort=facts.standort,
            ab=ab,
            now=req.now,
            buchen=bucht_platz(req.trigger, facts, policy),
        )
        data = platz_data(veranstaltung)
        if req.trigger == "veranstaltung_abgesagt":
            termin = facts.veranstaltung_termin
            data |= {
                "abgesagte_veranstaltung_id": facts.veranstaltung_id,
                "abgesagter_termin": termin.isoformat() if termin else None,
            }
        activity.logger.info(
            "case %s: %s booked event %s",
            req.case_id,
            req.trigger,
            data["veranstaltung_id"] if veranstaltung else "none",
        )
        return PrepareResult(data=data)


RECHTSKREISWECHSEL_IO = ProcessIO(
    "rechtskreiswechsel", prepare={BUCHEN: lambda db: RechtskreiswechselActivities(db).infoveranstaltung_buchen}
)
