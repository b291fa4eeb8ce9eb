"""Group sessions and bookings behind the routes (R20–R22).

Sessions come from the policy's weekly schedule; each gets a `gc_sitzung`
workflow for the R21 check. Participants (role teilnehmende) book and cancel
places for their own case only; Jobcoaches book on a case's behalf and record
attendance. Capacity is checked under a lock on the session row, so a full
session refuses (409) and nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from api import gruppencoaching_schemas as gs
from api.auth import User
from api.errors import Problem, not_found
from persistence import gruppencoaching as gc
from persistence import models as m
from persistence.db import Database, as_utc
from runtime.settings import Settings
from statemachines.gruppencoaching import SITZUNGEN_BUCHBAR
from statemachines.policy import Policy
from workflows.sessions import SitzungInput, sitzung_workflow_id

LOCAL = ZoneInfo("Europe/Berlin")
PLANNERS = frozenset({"jobcoach", "teamleitung"})
DECIDERS = frozenset({"jobcoach", "teamleitung"})  # R21: the coaches, with their lead
BOOKERS = frozenset({"jobcoach", "teamleitung"})  # staff booking on a participant's behalf
COACHES = frozenset({"jobcoach"})  # attendance


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


def forbidden(detail: str) -> Problem:
    return Problem(403, "forbidden", "Nicht erlaubt", detail)


def conflict(detail: str, **extra) -> Problem:
    return Problem(409, "conflict", "Nicht möglich", detail, **extra)


def require(user: User, roles: Iterable[str], what: str) -> None:
    allowed = frozenset(roles)
    if not user.roles & allowed:
        raise Problem(403, "role-not-allowed", "Rolle nicht berechtigt", f"{what} dürfen nur: " + ", ".join(sorted(allowed)) + ".")


class SitzungService:
    def __init__(self, db: Database, client: Client, settings: Settings):
        self.db, self.client, self.settings = db, client, settings

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    # --- sessions --------------------------------------------------------------------------

    async def plan(self, body: gs.SitzungsplanCreate, user: User) -> list[gs.SitzungPublic]:
        require(user, PLANNERS, "Sitzungen planen")
        policy, created = self.settings.policy, self.now()
        starts = [b for b in wochenplan(body.von, body.wochen, policy) if b > created]  # no sessions in the past
        async with self.db.unit_of_work() as session:
            for beginn in starts:
                if await session.scalar(select(gc.Sitzung).where(gc.Sitzung.beginn == beginn)) is None:
                    session.add(_new_sitzung(beginn, policy, created))
        # Idempotent: planning the same weeks again starts the workflows that are missing.
        async with self.db.unit_of_work(read_only=True) as session:
            rows = list(await session.scalars(select(gc.Sitzung).where(gc.Sitzung.beginn.in_(starts)).order_by(gc.Sitzung.beginn)))
            result = [await _public(session, s) for s in rows]
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
            raise Problem(503, "unavailable", "Vorübergehend nicht verfügbar", "Die Sitzungen sind angelegt, aber Temporal antwortet nicht; bitte erneut planen.", {"Retry-After": "5"}) from None

    async def list(self, von: datetime | None, bis: datetime | None) -> list[gs.SitzungPublic]:
        stmt = select(gc.Sitzung).order_by(gc.Sitzung.beginn)
        if von:
            stmt = stmt.where(gc.Sitzung.beginn >= von)
        if bis:
            stmt = stmt.where(gc.Sitzung.beginn < bis)
        async with self.db.unit_of_work(read_only=True) as session:
            return [await _public(session, s) for s in await session.scalars(stmt.limit(200))]

    async def read(self, sitzung_id: int) -> gs.SitzungDetail:
        async with self.db.unit_of_work(read_only=True) as session:
            sitzung = await _sitzung(session, sitzung_id)
            rows = await session.scalars(select(gc.Buchung).where(gc.Buchung.sitzung_id == sitzung_id).order_by(gc.Buchung.id))
            buchungen = [_buchung(b, sitzung) for b in rows]
            return gs.SitzungDetail(**(await _public(session, sitzung)).model_dump(), buchungen=buchungen)

    async def decide(self, sitzung_id: int, body: gs.EntscheidungCreate, user: User) -> gs.SitzungPublic:
        """R21: record the decision and close the decision task."""
        require(user, DECIDERS, "Über Sitzungen entscheiden")
        now = self.now()
        async with self.db.unit_of_work() as session:
            sitzung = await _sitzung(session, sitzung_id, lock=True)
            if sitzung.status != gc.ENTSCHEIDUNG_OFFEN:
                raise conflict(f"Für Sitzung {sitzung_id} steht keine Entscheidung an (Status {sitzung.status}).", sitzung_status=sitzung.status)
            if body.dauer_minuten is not None and body.dauer_minuten >= sitzung.dauer_minuten:
                raise Problem(422, "invalid-payload", "Ungültige Daten", f"Verkürzen heißt kürzer als {sitzung.dauer_minuten} Minuten.")
            sitzung.status, sitzung.entscheidung, sitzung.kommentar = gc.ENTSCHIEDEN, body.entscheidung, body.kommentar
            sitzung.entschieden_von, sitzung.entschieden_am = user.user, now
            sitzung.dauer_minuten = body.dauer_minuten or sitzung.dauer_minuten
            task = await session.scalar(select(m.Task).where(m.Task.kind == "gc_entscheidung", m.Task.ref == f"sitzung:{sitzung_id}"))
            if task is not None and task.status == "offen":
                task.status, task.closed_at, task.closed_by = "erledigt", now, user.user
            return await _public(session, sitzung)

    # --- bookings --------------------------------------------------------------------------

    async def book(self, sitzung_id: int, body: gs.BuchungCreate, user: User) -> gs.BuchungPublic:
        case_id = self._own_case(user, body.case_id)
        now = self.now()
        try:
            async with self.db.unit_of_work() as session:
                sitzung = await _sitzung(session, sitzung_id, lock=True)
                await self._bookable_case(session, case_id)
                _bookable_session(sitzung, now)
                existing = await session.scalar(select(gc.Buchung).where(gc.Buchung.sitzung_id == sitzung_id, gc.Buchung.case_id == case_id))
                if existing is not None and existing.status == gc.GEBUCHT:
                    raise conflict("Dieser Platz ist bereits gebucht.", buchung_id=existing.id)
                gebucht = await session.scalar(gc.gebucht_count(sitzung_id, SITZUNGEN_BUCHBAR)) or 0
                if gebucht >= sitzung.kapazitaet:
                    raise conflict(f"Die Sitzung ist ausgebucht ({sitzung.kapazitaet} Plätze).", kapazitaet=sitzung.kapazitaet)
                if existing is None:
                    existing = gc.Buchung(sitzung_id=sitzung_id, case_id=case_id, gebucht_von=user.user, gebucht_am=now)
                    session.add(existing)
                existing.status, existing.gebucht_am, existing.storniert_am = gc.GEBUCHT, now, None
                existing.gebucht_von, existing.anwesend = user.user, None
                await session.flush()
                return _buchung(existing, sitzung)
        except IntegrityError:  # the same case booked the same session concurrently
            raise conflict("Dieser Platz ist bereits gebucht.") from None

    async def bookings(self, user: User, case_id: str | None, sitzung_id: int | None) -> list[gs.BuchungPublic]:
        if not user.staff:
            case_id = self._own_case(user, case_id)
        stmt = select(gc.Buchung, gc.Sitzung).join(gc.Sitzung, gc.Sitzung.id == gc.Buchung.sitzung_id)
        if case_id:
            stmt = stmt.where(gc.Buchung.case_id == case_id)
        if sitzung_id:
            stmt = stmt.where(gc.Buchung.sitzung_id == sitzung_id)
        async with self.db.unit_of_work(read_only=True) as session:
            rows = await session.execute(stmt.order_by(gc.Sitzung.beginn, gc.Buchung.id).limit(500))
            return [_buchung(b, s) for b, s in rows]

    async def booking(self, buchung_id: int, user: User) -> gs.BuchungPublic:
        async with self.db.unit_of_work(read_only=True) as session:
            buchung, sitzung = await self._mine(session, buchung_id, user)
            return _buchung(buchung, sitzung)

    async def cancel(self, buchung_id: int, user: User) -> None:
        """Cancelling twice is harmless (DELETE is idempotent)."""
        async with self.db.unit_of_work() as session:
            buchung, sitzung = await self._mine(session, buchung_id, user, staff_roles=BOOKERS)
            if buchung.status == gc.STORNIERT:
                return
            if as_utc(sitzung.beginn) <= self.now():
                raise conflict("Die Sitzung hat schon begonnen; stornieren geht nur vorher.")
            buchung.status, buchung.storniert_am = gc.STORNIERT, self.now()

    async def attend(self, buchung_id: int, body: gs.AnwesenheitUpdate, user: User) -> gs.BuchungPublic:
        require(user, COACHES, "Anwesenheit erfassen")
        async with self.db.unit_of_work() as session:
            buchung, sitzung = await self._mine(session, buchung_id, user)
            if buchung.status != gc.GEBUCHT:
                raise conflict("Die Buchung ist storniert; Anwesenheit gibt es nur für gebuchte Plätze.")
            buchung.anwesend, buchung.anwesenheit_von = body.anwesend, user.user
            return _buchung(buchung, sitzung)

    # --- checks ----------------------------------------------------------------------------

    def _own_case(self, user: User, case_id: str | None) -> str:
        """Participants act for their own case only; staff must name the case."""
        if user.staff:
            require(user, BOOKERS, "Für andere buchen")
            if not case_id:
                raise Problem(422, "invalid-request", "Ungültige Anfrage", "case_id fehlt: für welchen Fall?")
            return case_id
        if user.case_id is None:
            raise forbidden("Diesem Zugang ist kein Fall zugeordnet.")
        if case_id is not None and case_id != user.case_id:
            raise forbidden("Teilnehmende sehen und buchen nur für sich selbst.")
        return user.case_id

    async def _mine(self, session: AsyncSession, buchung_id: int, user: User, staff_roles=None):
        buchung = await session.get(gc.Buchung, buchung_id)
        if buchung is None:
            raise not_found(f"Buchung {buchung_id} ist unbekannt.")
        if not user.staff and buchung.case_id != user.case_id:
            raise forbidden("Das ist nicht Ihre Buchung.")
        if user.staff and staff_roles is not None:
            require(user, staff_roles, "Fremde Buchungen ändern")
        return buchung, await session.get(gc.Sitzung, buchung.sitzung_id)

    async def _bookable_case(self, session: AsyncSession, case_id: str) -> None:
        case = await session.get(m.Case, case_id)
        if case is None:
            raise not_found(f"Fall {case_id} ist unbekannt.")
        if case.state not in SITZUNGEN_BUCHBAR.get(case.process, frozenset()):
            raise conflict(f"Im Zustand {case.state} ({case.process}) werden keine Gruppensitzungen gebucht.", state=case.state)


def _bookable_session(sitzung: gc.Sitzung, now: datetime) -> None:
    if as_utc(sitzung.beginn) <= now:
        raise conflict("Die Sitzung hat schon begonnen.")
    if sitzung.entscheidung == "einzelcoaching":
        raise conflict("Statt der Sitzung gibt es Einzelcoaching (R21).")


async def _sitzung(session: AsyncSession, sitzung_id: int, lock: bool = False) -> gc.Sitzung:
    sitzung = await session.get(gc.Sitzung, sitzung_id, with_for_update=lock)
    if sitzung is None:
        raise not_found(f"Sitzung {sitzung_id} ist unbekannt.")
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


async def _public(session: AsyncSession, s: gc.Sitzung) -> gs.SitzungPublic:
    gebucht = await session.scalar(gc.gebucht_count(s.id, SITZUNGEN_BUCHBAR)) or 0
    beginn = as_utc(s.beginn)
    return gs.SitzungPublic(
        id=s.id, beginn=beginn, ende=beginn + timedelta(minutes=s.dauer_minuten), dauer_minuten=s.dauer_minuten,
        kapazitaet=s.kapazitaet, min_teilnehmende=s.min_teilnehmende, gebucht=gebucht, frei=max(s.kapazitaet - gebucht, 0),
        pruefung_um=as_utc(s.pruefung_um), status=s.status, entscheidung=s.entscheidung, workflow_id=sitzung_workflow_id(s.id),
    )


def _buchung(b: gc.Buchung, s: gc.Sitzung) -> gs.BuchungPublic:
    return gs.BuchungPublic(
        id=b.id, sitzung_id=b.sitzung_id, sitzung_beginn=as_utc(s.beginn), case_id=b.case_id, status=b.status,
        anwesend=b.anwesend, gebucht_am=as_utc(b.gebucht_am), storniert_am=as_utc(b.storniert_am),
    )


__all__ = ["SitzungService", "wochenplan"]
