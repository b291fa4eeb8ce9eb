"""Information events (R31–R33): the team lead lists, adds, changes and cancels events and
records attendance.

The calendar is generated from the policy's rule when events are listed or booked.
Cancelling and attendance move the booked cases through the same path as
POST /cases/{id}/transitions (role check, Idempotency-Key, Temporal update), so
the cases' history shows who did it. A cancelled event is never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from activities.infoveranstaltungen import kalender_anlegen
from api.schemas import infoveranstaltungen as rs
from api.schemas.cases import TransitionCreate
from api.usecases.access import holds, require_process
from api.usecases.actors import User
from api.usecases.case_commands import CaseCommands
from persistence import models as m
from persistence.db import Database
from persistence.rechtskreiswechsel import ABGESAGT, GEBUCHT, GEPLANT, TEILGENOMMEN, InfoBuchung, Infoveranstaltung
from runtime.settings import Settings
from statemachines.rechtskreiswechsel import RECHTSKREISWECHSEL
from statemachines.refusals import DomainError, Refusal, invalid, role_not_allowed, unknown
from statemachines.roles import MANAGE_INFO_EVENTS
from statemachines.spec import SYSTEM


def conflict(slug: str, detail: str, **extra) -> DomainError:
    return DomainError(Refusal.CONFLICT, slug, "Nicht möglich", detail, **extra)


@dataclass(frozen=True)
class Umbuchung:
    """What became of one booked case when its event was cancelled."""

    case_id: str
    refused: DomainError | None  # None: the case was invited to its next event
    veranstaltung_id: int | None  # the new event (None: no free place, or the case could not move)


@dataclass(frozen=True)
class Absage:
    veranstaltung: rs.InfoveranstaltungPublic
    umgebucht: list[Umbuchung]


def public(v: Infoveranstaltung) -> rs.InfoveranstaltungPublic:
    return rs.InfoveranstaltungPublic(
        id=v.id,
        standort=v.standort,
        beginn=v.beginn,
        dauer_minuten=v.dauer_minuten,
        adresse=v.adresse,
        raum=v.raum,
        kapazitaet=v.kapazitaet,
        belegt=v.belegt,
        frei=max(v.kapazitaet - v.belegt, 0) if v.status == GEPLANT else 0,
        status=v.status,
    )


class Infoveranstaltungen:
    def __init__(self, db: Database, cases: CaseCommands, settings: Settings):
        self.db, self.cases, self.settings = db, cases, settings
        self.kalender = settings.policy.rkw_kalender

    @staticmethod
    def _team_only(user: User) -> None:
        if not holds(user, MANAGE_INFO_EVENTS):
            raise role_not_allowed(
                "Infoveranstaltungen verwaltet die Teamleitung.", roles=sorted(MANAGE_INFO_EVENTS.roles)
            )

    async def _get(self, session, veranstaltung_id: int) -> Infoveranstaltung:
        found = await session.get(Infoveranstaltung, veranstaltung_id)
        if found is None:
            raise unknown(f"Infoveranstaltung {veranstaltung_id} ist unbekannt.")
        return found

    # --- reading ---------------------------------------------------------------------------

    async def list(
        self, user: User, standort: str | None, von: datetime | None, bis: datetime | None, status: str | None
    ) -> list[rs.InfoveranstaltungPublic]:
        """Upcoming events with their free places, earliest first (readers of the Rechtskreiswechsel)."""
        require_process(user, RECHTSKREISWECHSEL.name, "Infoveranstaltungen")
        now = datetime.now(UTC)
        await kalender_anlegen(self.db, self.kalender, now)
        stmt = select(Infoveranstaltung).where(Infoveranstaltung.beginn >= (von or now))
        if bis is not None:
            stmt = stmt.where(Infoveranstaltung.beginn < bis)
        if standort:
            stmt = stmt.where(Infoveranstaltung.standort == standort)
        if status:
            stmt = stmt.where(Infoveranstaltung.status == status)
        async with self.db.unit_of_work(read_only=True) as session:
            rows = await session.scalars(stmt.order_by(Infoveranstaltung.beginn, Infoveranstaltung.id))
            return [public(v) for v in rows]

    async def read(self, veranstaltung_id: int, user: User) -> rs.InfoveranstaltungDetail:
        require_process(user, RECHTSKREISWECHSEL.name, "Infoveranstaltungen")
        async with self.db.unit_of_work(read_only=True) as session:
            v = await self._get(session, veranstaltung_id)
            bookings = await session.scalars(
                select(InfoBuchung).where(InfoBuchung.veranstaltung_id == veranstaltung_id).order_by(InfoBuchung.id)
            )
            return rs.InfoveranstaltungDetail(
                **public(v).model_dump(),
                buchungen=[
                    rs.BuchungPublic(
                        case_id=b.case_id,
                        case_url=f"/api/v1/cases/{b.case_id}",
                        status=b.status,
                        created_at=b.created_at,
                    )
                    for b in bookings
                ],
            )

    # --- planning --------------------------------------------------------------------------

    async def create(self, body: rs.InfoveranstaltungCreate, user: User) -> rs.InfoveranstaltungPublic:
        self._team_only(user)
        rule = self.kalender.standort(body.standort)
        if rule is None:
            known = [r.name for r in self.kalender.standorte]
            raise invalid(
                "unknown-standort",
                "Unbekannter Standort",
                f"Standort {body.standort} ist nicht konfiguriert.",
                standorte=known,
            )
        self._future(body.beginn)
        now = datetime.now(UTC)
        v = Infoveranstaltung(
            standort=rule.name,
            beginn=body.beginn,
            dauer_minuten=body.dauer_minuten,
            adresse=body.adresse or rule.adresse,
            raum=body.raum or rule.raum,
            kapazitaet=body.kapazitaet or rule.kapazitaet,
            belegt=0,
            status=GEPLANT,
            created_at=now,
            updated_at=now,
        )
        try:
            async with self.db.unit_of_work() as session:
                session.add(v)
        except IntegrityError:
            raise conflict(
                "duplicate-event", f"In {rule.name} gibt es zu dieser Zeit schon eine Infoveranstaltung."
            ) from None
        return public(v)

    async def update(
        self, veranstaltung_id: int, body: rs.InfoveranstaltungUpdate, user: User
    ) -> rs.InfoveranstaltungPublic:
        self._team_only(user)
        changes = body.model_dump(exclude_none=True)
        if "beginn" in changes:
            self._future(body.beginn)
        try:
            async with self.db.unit_of_work() as session:
                v = await self._get(session, veranstaltung_id)
                if v.status == ABGESAGT:
                    raise conflict("event-cancelled", "Die Infoveranstaltung ist abgesagt.")
                if body.kapazitaet is not None and body.kapazitaet < v.belegt:
                    raise conflict(
                        "capacity-below-bookings",
                        f"Schon {v.belegt} Plätze belegt: so viele muss es mindestens geben.",
                        belegt=v.belegt,
                    )
                if (
                    "beginn" in changes
                    and changes["beginn"] != v.beginn
                    and await self._booked(session, veranstaltung_id)
                ):
                    raise conflict(
                        "event-booked", "Für gebuchte Veranstaltungen lässt sich die Zeit nicht ändern: bitte absagen."
                    )
                for name, value in changes.items():
                    setattr(v, name, value)
                v.updated_at = datetime.now(UTC)
        except IntegrityError:
            raise conflict(
                "duplicate-event", "Am Standort gibt es zu dieser Zeit schon eine Infoveranstaltung."
            ) from None
        return public(v)

    @staticmethod
    def _future(beginn: datetime) -> None:
        if beginn <= datetime.now(UTC):
            raise invalid("invalid-request", "Ungültige Anfrage", "Eine Infoveranstaltung muss in der Zukunft liegen.")

    @staticmethod
    async def _booked(session, veranstaltung_id: int) -> int:
        return await session.scalar(
            select(func.count())
            .select_from(InfoBuchung)
            .where(InfoBuchung.veranstaltung_id == veranstaltung_id, InfoBuchung.status == GEBUCHT)
        )

    # --- cancelling and attendance ---------------------------------------------------------

    async def cancel(self, veranstaltung_id: int, user: User) -> Absage:
        """R31: cancel, then re-invite each booked case to its next event (repeat-safe)."""
        self._team_only(user)
        async with self.db.unit_of_work() as session:
            v = await self._get(session, veranstaltung_id)
            if v.status != ABGESAGT:
                v.status, v.updated_at = ABGESAGT, datetime.now(UTC)
            booked = list(
                await session.scalars(
                    select(InfoBuchung.case_id).where(
                        InfoBuchung.veranstaltung_id == veranstaltung_id, InfoBuchung.status == GEBUCHT
                    )
                )
            )
        moved = [await self._rebook(veranstaltung_id, case_id, user) for case_id in booked]
        async with self.db.unit_of_work(read_only=True) as session:
            return Absage(veranstaltung=public(await self._get(session, veranstaltung_id)), umgebucht=moved)

    async def _rebook(self, veranstaltung_id: int, case_id: str, user: User) -> Umbuchung:
        body = TransitionCreate(
            trigger="veranstaltung_abgesagt", comment=f"Infoveranstaltung {veranstaltung_id} abgesagt"
        )
        try:
            case = await self.cases.transition(
                case_id, body, user, f"infoveranstaltung-{veranstaltung_id}-absage-{case_id}"
            )
        except DomainError as refused:
            if refused.kind != Refusal.UNAVAILABLE:  # the case cannot move (e.g. it has ended): its place is given up
                await self._give_up(veranstaltung_id, case_id)
            return Umbuchung(case_id, refused, None)
        return Umbuchung(case_id, None, case["facts"].get("veranstaltung_id"))

    async def _give_up(self, veranstaltung_id: int, case_id: str) -> None:
        async with self.db.unit_of_work() as session:
            for b in await session.scalars(
                select(InfoBuchung).where(
                    InfoBuchung.veranstaltung_id == veranstaltung_id,
                    InfoBuchung.case_id == case_id,
                    InfoBuchung.status == GEBUCHT,
                )
            ):
                b.status, b.updated_at = ABGESAGT, datetime.now(UTC)

    async def attendance(self, veranstaltung_id: int, body: rs.TeilnahmeCreate, user: User, key: str | None) -> dict:
        """R32/R33: fires teilgenommen or nicht_erschienen on the booked case (roles: their declaration);
        the case after the step as CasePublic JSON."""
        trigger = "teilgenommen" if body.erschienen else "nicht_erschienen"
        allowed = RECHTSKREISWECHSEL.trigger(trigger).roles - {SYSTEM}
        if not user.roles & allowed:
            raise role_not_allowed(f"{trigger} dürfen nur: " + ", ".join(sorted(allowed)) + ".", roles=sorted(allowed))
        async with self.db.unit_of_work(read_only=True) as session:
            v = await self._get(session, veranstaltung_id)
            if await session.get(m.Case, body.case_id) is None:
                raise unknown(f"Fall {body.case_id} ist unbekannt.")
            booking = await session.scalar(
                select(InfoBuchung)
                .where(InfoBuchung.veranstaltung_id == veranstaltung_id, InfoBuchung.case_id == body.case_id)
                .order_by(InfoBuchung.id.desc())
                .limit(1)
            )
        if v.status == ABGESAGT:
            raise conflict("event-cancelled", "Die Infoveranstaltung ist abgesagt.")
        if booking is None:
            raise conflict("not-booked", f"Fall {body.case_id} ist für diese Infoveranstaltung nicht gebucht.")
        if booking.status != GEBUCHT and not key:
            raise conflict(
                "attendance-recorded", f"Für diese Buchung ist schon erfasst: {booking.status}.", buchung=booking.status
            )
        request = TransitionCreate(trigger=trigger, comment=body.comment)
        case = await self.cases.transition(body.case_id, request, user, key)
        if body.erschienen:
            async with self.db.unit_of_work() as session:
                row = await session.get(InfoBuchung, booking.id)
                if row.status == GEBUCHT:
                    row.status, row.updated_at = TEILGENOMMEN, datetime.now(UTC)
        return case
