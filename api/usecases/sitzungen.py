"""Group sessions (R20, R21); their bookings are buchungen.py.

Sessions come from the policy's weekly schedule; each gets a `gc_sitzung` workflow for the
R21 check, whose decision task the coaches answer here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from api.schemas import sitzungen as gs
from api.usecases.access import holds, require_process
from api.usecases.actors import User
from persistence import gruppencoaching as gc
from persistence import models as m
from persistence.db import Database, as_utc
from runtime.settings import Settings
from statemachines.gruppencoaching import SITZUNGEN_BUCHBAR
from statemachines.policy import Policy
from statemachines.refusals import (
    DomainError,
    Refusal,
    conflict,
    invalid_payload,
    role_not_allowed,
    unavailable,
    unknown,
)
from statemachines.roles import DECIDE_SESSIONS, PLAN_SESSIONS, Permission
from workflows.sessions import SitzungInput, sitzung_workflow_id

LOCAL = ZoneInfo("Europe/Berlin")
GRUPPENCOACHING = "gruppencoaching"  # its readers see the sessions' bookings


def wochenplan(von: date, wochen: int, policy: Policy) -> list[datetime]:
    """R20: the session starts (UTC) of `wochen` weeks from the week of `von`, none before `von`."""
    monday = von - timedelta(days=von.weekday())
    days = sorted(policy.gc_wochentage[: policy.gc_sitzungen_pro_woche])
    starts = []
    for week in range(wochen):
        for day in days:
            when = monday + timedelta(weeks=week, days=day)
            if when >= von:
                starts.append(datetime.combine(when, policy.gc_beginn, tzinfo=LOCAL).astimezone(UTC))
    return starts


def forbidden(detail: str) -> DomainError:
    return DomainError(Refusal.FORBIDDEN, "forbidden", "Nicht erlaubt", detail)


def not_possible(detail: str, **extra) -> DomainError:
    return conflict("conflict", "Nicht möglich", detail, **extra)


def require(user: User, permission: Permission, what: str) -> None:
    if not holds(user, permission):
        raise role_not_allowed(f"{what} dürfen nur: " + ", ".join(sorted(permission.roles)) + ".")


class Sitzungen:
    def __init__(self, db: Database, client: Client, settings: Settings):
        self.db, self.client, self.settings = db, client, settings

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    # --- sessions --------------------------------------------------------------------------

    async def plan(self, body: gs.SitzungsplanCreate, user: User) -> list[gs.SitzungPublic]:
        require(user, PLAN_SESSIONS, "Sitzungen planen")
        policy, created = self.settings.policy, self.now()
        starts = [b for b in wochenplan(body.von, body.wochen, policy) if b > created]  # no sessions in the past
        async with self.db.unit_of_work() as session:
            for beginn in starts:
                if await session.scalar(select(gc.Sitzung).where(gc.Sitzung.beginn == beginn)) is None:
                    session.add(_new_sitzung(beginn, policy, created))
        # Idempotent: planning the same weeks again starts the workflows that are missing.
        async with self.db.unit_of_work(read_only=True) as session:
            rows = list(
                await session.scalars(
                    select(gc.Sitzung).where(gc.Sitzung.beginn.in_(starts)).order_by(gc.Sitzung.beginn)
                )
            )
            result = [await sitzung_public(session, s) for s in rows]
        for s in rows:
            await self._start_check(s)
        return result

    async def _start_check(self, sitzung: gc.Sitzung) -> None:
        try:
            await self.client.start_workflow(
                "gc_sitzung",
                SitzungInput(sitzung_id=sitzung.id, pruefung_um=as_utc(sitzung.pruefung_um)),
                id=sitzung_workflow_id(sitzung.id),
                task_queue=self.settings.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                static_summary=f"Gruppensitzung {sitzung.id}: Mindestzahl prüfen (R21)",
            )
        except RPCError:
            raise unavailable(
                "Die Sitzungen sind angelegt, aber Temporal antwortet nicht; bitte erneut planen."
            ) from None

    async def list(self, von: datetime | None, bis: datetime | None) -> list[gs.SitzungPublic]:
        stmt = select(gc.Sitzung).order_by(gc.Sitzung.beginn)
        if von:
            stmt = stmt.where(gc.Sitzung.beginn >= von)
        if bis:
            stmt = stmt.where(gc.Sitzung.beginn < bis)
        async with self.db.unit_of_work(read_only=True) as session:
            return [await sitzung_public(session, s) for s in await session.scalars(stmt.limit(200))]

    async def read(self, sitzung_id: int, user: User) -> gs.SitzungDetail:
        """A session with its bookings and attendance (staff who work on group coaching)."""
        require_process(user, GRUPPENCOACHING, "Buchungen")
        async with self.db.unit_of_work(read_only=True) as session:
            sitzung = await sitzung_row(session, sitzung_id)
            rows = await session.scalars(
                select(gc.Buchung).where(gc.Buchung.sitzung_id == sitzung_id).order_by(gc.Buchung.id)
            )
            buchungen = [buchung_public(b, sitzung) for b in rows]
            return gs.SitzungDetail(**(await sitzung_public(session, sitzung)).model_dump(), buchungen=buchungen)

    async def decide(self, sitzung_id: int, body: gs.EntscheidungCreate, user: User) -> gs.SitzungPublic:
        """R21: record the decision and close the decision task."""
        require(user, DECIDE_SESSIONS, "Über Sitzungen entscheiden")
        now = self.now()
        async with self.db.unit_of_work() as session:
            sitzung = await sitzung_row(session, sitzung_id, lock=True)
            if sitzung.status != gc.ENTSCHEIDUNG_OFFEN:
                raise not_possible(
                    f"Für Sitzung {sitzung_id} steht keine Entscheidung an (Status {sitzung.status}).",
                    sitzung_status=sitzung.status,
                )
            if body.dauer_minuten is not None and body.dauer_minuten >= sitzung.dauer_minuten:
                raise invalid_payload(f"Verkürzen heißt kürzer als {sitzung.dauer_minuten} Minuten.")
            sitzung.status, sitzung.entscheidung, sitzung.kommentar = gc.ENTSCHIEDEN, body.entscheidung, body.kommentar
            sitzung.entschieden_von, sitzung.entschieden_am = user.user, now
            sitzung.dauer_minuten = body.dauer_minuten or sitzung.dauer_minuten
            task = await session.scalar(
                select(m.Task).where(m.Task.kind == "gc_entscheidung", m.Task.ref == f"sitzung:{sitzung_id}")
            )
            if task is not None and task.status == "offen":
                task.status, task.closed_at, task.closed_by = "erledigt", now, user.user
            return await sitzung_public(session, sitzung)


async def sitzung_row(session: AsyncSession, sitzung_id: int, lock: bool = False) -> gc.Sitzung:
    sitzung = await session.get(gc.Sitzung, sitzung_id, with_for_update=lock)
    if sitzung is None:
        raise unknown(f"Sitzung {sitzung_id} ist unbekannt.")
    return sitzung


def _new_sitzung(beginn: datetime, policy: Policy, now: datetime) -> gc.Sitzung:
    return gc.Sitzung(
        beginn=beginn,
        dauer_minuten=int(policy.gc_sitzung_dauer.total_seconds() // 60),
        kapazitaet=policy.gc_kapazitaet,
        min_teilnehmende=policy.gc_min_teilnehmende,
        pruefung_um=beginn - policy.gc_entscheidung_vorlauf,
        status=gc.GEPLANT,
        created_at=now,
    )


async def sitzung_public(session: AsyncSession, s: gc.Sitzung) -> gs.SitzungPublic:
    gebucht = await session.scalar(gc.gebucht_count(s.id, SITZUNGEN_BUCHBAR)) or 0
    beginn = as_utc(s.beginn)
    return gs.SitzungPublic(
        id=s.id,
        beginn=beginn,
        ende=beginn + timedelta(minutes=s.dauer_minuten),
        dauer_minuten=s.dauer_minuten,
        kapazitaet=s.kapazitaet,
        min_teilnehmende=s.min_teilnehmende,
        gebucht=gebucht,
        frei=max(s.kapazitaet - gebucht, 0),
        pruefung_um=as_utc(s.pruefung_um),
        status=s.status,
        entscheidung=s.entscheidung,
        workflow_id=sitzung_workflow_id(s.id),
    )


def buchung_public(b: gc.Buchung, s: gc.Sitzung) -> gs.BuchungPublic:
    return gs.BuchungPublic(
        id=b.id,
        sitzung_id=b.sitzung_id,
        sitzung_beginn=as_utc(s.beginn),
        case_id=b.case_id,
        status=b.status,
        anwesend=b.anwesend,
        gebucht_am=as_utc(b.gebucht_am),
        storniert_am=as_utc(b.storniert_am),
    )


__all__ = ["Sitzungen", "buchung_public", "sitzung_public", "sitzung_row", "wochenplan"]
