"""pruefe_sitzung: the R21 check of one group session, run by its `gc_sitzung` workflow.

Too few bookings → the session waits for the coaches' decision and a priority-1
task (R27: a scheduled group session) opens in the Jobcoaches' inbox. Idempotent:
a session that was checked already is only reported, and the task is unique per
(kind, ref), so a retried activity writes nothing twice.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.extensions import ProcessIO
from notifications.render import datum, uhrzeit
from persistence import gruppencoaching as gc
from persistence.db import Database, as_utc
from statemachines.gruppencoaching import SITZUNGEN_BUCHBAR
from statemachines.roles import JOBCOACH
from workflows.sessions import SitzungErgebnis, SitzungPruefung

ENTSCHEIDUNG = "gc_entscheidung"


def sitzung_ref(sitzung_id: int) -> str:
    return f"sitzung:{sitzung_id}"


def entscheidung_title(sitzung: gc.Sitzung, gebucht: int) -> str:
    return (
        f"Gruppensitzung am {datum(sitzung.beginn)} um {uhrzeit(sitzung.beginn)}: nur {gebucht} von mindestens "
        f"{sitzung.min_teilnehmende} gebucht. Durchführen, verkürzen, Minigruppe oder Einzelcoaching? (R21)"
    )


class GruppencoachingActivities:
    def __init__(self, db: Database):
        self._db = db

    @activity.defn(name="pruefe_sitzung")
    async def pruefe_sitzung(self, req: SitzungPruefung) -> SitzungErgebnis:
        async with self._db.unit_of_work() as session:
            sitzung = await session.get(gc.Sitzung, req.sitzung_id, with_for_update=True)
            if sitzung is None:
                raise ApplicationError(f"Sitzung {req.sitzung_id} unbekannt", type="UnknownSession", non_retryable=True)
            if sitzung.status == gc.GEPLANT:
                await self._check(session, sitzung)
            gebucht = sitzung.gebucht_bei_pruefung or 0
            activity.logger.info("session %d: %d booked, status %s", sitzung.id, gebucht, sitzung.status)
            return SitzungErgebnis(
                sitzung_id=sitzung.id,
                gebucht=gebucht,
                minimum=sitzung.min_teilnehmende,
                entscheidung_noetig=sitzung.status == gc.ENTSCHEIDUNG_OFFEN,
            )

    async def _check(self, session: AsyncSession, sitzung: gc.Sitzung) -> None:
        gebucht = await session.scalar(gc.gebucht_count(sitzung.id, SITZUNGEN_BUCHBAR)) or 0
        sitzung.gebucht_bei_pruefung = gebucht
        if gebucht >= sitzung.min_teilnehmende:
            sitzung.status = gc.BESTAETIGT
            return
        sitzung.status = gc.ENTSCHEIDUNG_OFFEN
        await gc.aufgabe_oeffnen(
            session,
            kind=ENTSCHEIDUNG,
            ref=sitzung_ref(sitzung.id),
            role=JOBCOACH,
            title=entscheidung_title(sitzung, gebucht),
            due=as_utc(sitzung.beginn),
            now=as_utc(activity.info().current_attempt_scheduled_time),
        )


# Not a prepare: the `gc_sitzung` workflow of each group session runs it (R21).
GRUPPENCOACHING_IO = ProcessIO(
    "gruppencoaching", activities={"pruefe_sitzung": lambda db: GruppencoachingActivities(db).pruefe_sitzung}
)
