"""Bookings of group sessions (R22): participants (role teilnehmende) book and cancel places
for their own case only; Jobcoaches book on a case's behalf and record attendance. Capacity is
checked under a lock on the session row, so a full session refuses (CONFLICT) and nothing changes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.schemas import sitzungen as gs
from api.usecases.access import require_process
from api.usecases.actors import User
from api.usecases.sitzungen import GRUPPENCOACHING, buchung_public, forbidden, not_possible, require, sitzung_row
from notifications.render import datum, uhrzeit
from persistence import gruppencoaching as gc
from persistence import models as m
from persistence.db import Database, as_utc
from statemachines.gruppencoaching import SITZUNGEN_BUCHBAR
from statemachines.policy import Policy
from statemachines.refusals import invalid, unknown
from statemachines.roles import BOOK_FOR_OTHERS, JOBCOACH, RECORD_ATTENDANCE, Permission

ENTSCHEIDUNG, AUSFAELLE = "gc_entscheidung", "gc_ausfaelle"  # R21 task kinds, one each per session


def _zeit(sitzung: gc.Sitzung) -> str:
    return f"Gruppensitzung am {datum(sitzung.beginn)} um {uhrzeit(sitzung.beginn)}"


class Buchungen:
    def __init__(self, db: Database, policy: Policy | None = None):
        self.db = db
        self.policy = policy or Policy()

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    # --- bookings --------------------------------------------------------------------------

    async def book(self, sitzung_id: int, body: gs.BuchungCreate, user: User) -> gs.BuchungPublic:
        case_id = self._own_case(user, body.case_id)
        now = self.now()
        try:
            async with self.db.unit_of_work() as session:
                sitzung = await sitzung_row(session, sitzung_id, lock=True)
                await self._bookable_case(session, case_id)
                _bookable_session(sitzung, now)
                existing = await session.scalar(
                    select(gc.Buchung).where(gc.Buchung.sitzung_id == sitzung_id, gc.Buchung.case_id == case_id)
                )
                if existing is not None and existing.status == gc.GEBUCHT:
                    raise not_possible("Dieser Platz ist bereits gebucht.", buchung_id=existing.id)
                gebucht = await session.scalar(gc.gebucht_count(sitzung_id, SITZUNGEN_BUCHBAR)) or 0
                if gebucht >= sitzung.kapazitaet:
                    raise not_possible(
                        f"Die Sitzung ist ausgebucht ({sitzung.kapazitaet} Plätze).", kapazitaet=sitzung.kapazitaet
                    )
                if existing is None:
                    existing = gc.Buchung(sitzung_id=sitzung_id, case_id=case_id, gebucht_von=user.user, gebucht_am=now)
                    session.add(existing)
                existing.status, existing.gebucht_am, existing.storniert_am = gc.GEBUCHT, now, None
                existing.gebucht_von, existing.anwesend = user.user, None
                await session.flush()
                return buchung_public(existing, sitzung)
        except IntegrityError:  # the same case booked the same session concurrently
            raise not_possible("Dieser Platz ist bereits gebucht.") from None

    async def bookings(self, user: User, case_id: str | None, sitzung_id: int | None) -> list[gs.BuchungPublic]:
        """Bookings; a participant sees only their own."""
        if user.staff:
            require_process(user, GRUPPENCOACHING, "Buchungen")
        else:
            case_id = self._own_case(user, case_id)
        stmt = select(gc.Buchung, gc.Sitzung).join(gc.Sitzung, gc.Sitzung.id == gc.Buchung.sitzung_id)
        if case_id:
            stmt = stmt.where(gc.Buchung.case_id == case_id)
        if sitzung_id:
            stmt = stmt.where(gc.Buchung.sitzung_id == sitzung_id)
        async with self.db.unit_of_work(read_only=True) as session:
            rows = await session.execute(stmt.order_by(gc.Sitzung.beginn, gc.Buchung.id).limit(500))
            return [buchung_public(b, s) for b, s in rows]

    async def booking(self, buchung_id: int, user: User) -> gs.BuchungPublic:
        if user.staff:
            require_process(user, GRUPPENCOACHING, "Buchungen")
        async with self.db.unit_of_work(read_only=True) as session:
            buchung, sitzung = await self._mine(session, buchung_id, user)
            return buchung_public(buchung, sitzung)

    async def cancel(self, buchung_id: int, user: User) -> None:
        """Cancelling twice is harmless (DELETE is idempotent)."""
        async with self.db.unit_of_work() as session:
            buchung, sitzung = await self._mine(session, buchung_id, user, staff_may=BOOK_FOR_OTHERS)
            if buchung.status == gc.STORNIERT:
                return
            if as_utc(sitzung.beginn) <= self.now():
                raise not_possible("Die Sitzung hat schon begonnen; stornieren geht nur vorher.")
            buchung.status, buchung.storniert_am = gc.STORNIERT, self.now()
            await session.flush()
            await self._recheck_minimum(session, sitzung)

    async def _recheck_minimum(self, session: AsyncSession, sitzung: gc.Sitzung) -> None:
        """R21: a cancellation after the check raises the decision again when the session falls below
        the minimum (or, once decided, below the bookings the decision rested on)."""
        if sitzung.status not in (gc.BESTAETIGT, gc.ENTSCHIEDEN) or sitzung.entscheidung == "einzelcoaching":
            return
        gebucht = await session.scalar(gc.gebucht_count(sitzung.id, SITZUNGEN_BUCHBAR)) or 0
        if gebucht >= min(sitzung.min_teilnehmende, sitzung.gebucht_bei_pruefung or sitzung.min_teilnehmende):
            return
        sitzung.status, sitzung.gebucht_bei_pruefung = gc.ENTSCHEIDUNG_OFFEN, gebucht
        title = (
            f"{_zeit(sitzung)}: nach Stornierungen nur {gebucht} von mindestens {sitzung.min_teilnehmende} "
            "gebucht. Durchführen, verkürzen, Minigruppe oder Einzelcoaching? (R21)"
        )
        await gc.aufgabe_oeffnen(
            session,
            kind=ENTSCHEIDUNG,
            ref=f"sitzung:{sitzung.id}",
            role=JOBCOACH,
            title=title,
            due=as_utc(sitzung.beginn),
            now=self.now(),
        )

    async def _evaluate_no_shows(self, session: AsyncSession, sitzung: gc.Sitzung) -> None:
        """R21: "bei zu vielen Ausfällen" the coaches decide on individual or mini-group coaching."""
        ausfaelle = await session.scalar(gc.ausfaelle_count(sitzung.id)) or 0
        if ausfaelle < self.policy.gc_ausfaelle_schwelle:
            return
        title = (
            f"{_zeit(sitzung)}: {ausfaelle} Ausfälle (Schwelle {self.policy.gc_ausfaelle_schwelle}). "
            "Auf Einzel- oder Minigruppencoaching umstellen? (R21)"
        )
        now = self.now()
        await gc.aufgabe_oeffnen(
            session, kind=AUSFAELLE, ref=f"sitzung:{sitzung.id}", role=JOBCOACH, title=title, due=now, now=now
        )

    async def attend(self, buchung_id: int, body: gs.AnwesenheitUpdate, user: User) -> gs.BuchungPublic:
        require(user, RECORD_ATTENDANCE, "Anwesenheit erfassen")
        async with self.db.unit_of_work() as session:
            buchung, sitzung = await self._mine(session, buchung_id, user)
            if buchung.status != gc.GEBUCHT:
                raise not_possible("Die Buchung ist storniert; Anwesenheit gibt es nur für gebuchte Plätze.")
            buchung.anwesend, buchung.anwesenheit_von = body.anwesend, user.user
            if body.anwesend is False:
                await session.flush()
                await self._evaluate_no_shows(session, sitzung)
            return buchung_public(buchung, sitzung)

    # --- checks ----------------------------------------------------------------------------

    def _own_case(self, user: User, case_id: str | None) -> str:
        """Participants act for their own case only; staff must name the case."""
        if user.staff:
            require(user, BOOK_FOR_OTHERS, "Für andere buchen")
            if not case_id:
                raise invalid("invalid-request", "Ungültige Anfrage", "case_id fehlt: für welchen Fall?")
            return case_id
        if user.case_id is None:
            raise forbidden("Diesem Zugang ist kein Fall zugeordnet.")
        if case_id is not None and case_id != user.case_id:
            raise forbidden("Teilnehmende sehen und buchen nur für sich selbst.")
        return user.case_id

    async def _mine(self, session: AsyncSession, buchung_id: int, user: User, staff_may: Permission | None = None):
        buchung = await session.get(gc.Buchung, buchung_id)
        if buchung is None or (not user.staff and buchung.case_id != user.case_id):
            # Someone else's booking is unknown to a participant, as an id that does not exist
            # (issue 13, item 9): the answer must not tell which booking ids are taken.
            raise unknown(f"Buchung {buchung_id} ist unbekannt.")
        if user.staff and staff_may is not None:
            require(user, staff_may, "Fremde Buchungen ändern")
        return buchung, await session.get(gc.Sitzung, buchung.sitzung_id)

    async def _bookable_case(self, session: AsyncSession, case_id: str) -> None:
        case = await session.get(m.Case, case_id)
        if case is None:
            raise unknown(f"Fall {case_id} ist unbekannt.")
        if case.state not in SITZUNGEN_BUCHBAR.get(case.process, frozenset()):
            raise not_possible(
                f"Im Zustand {case.state} ({case.process}) werden keine Gruppensitzungen gebucht.", state=case.state
            )


def _bookable_session(sitzung: gc.Sitzung, now: datetime) -> None:
    if as_utc(sitzung.beginn) <= now:
        raise not_possible("Die Sitzung hat schon begonnen.")
    if sitzung.entscheidung == "einzelcoaching":
        raise not_possible("Statt der Sitzung gibt es Einzelcoaching (R21).")
