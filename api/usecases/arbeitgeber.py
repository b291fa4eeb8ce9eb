"""Arbeitgeberservice (R28): employers and network partners, conversations with them, AGS tasks.

Contacts hold organisation data only (no Sozialdaten). AGS work (Stellenakquise, Bewerbungstag,
Begleitung zum Arbeitgeber, Arbeitsmarktberatung der IFK) becomes a task of R27 priority 4 for the
Jobcoaches. The Jobcoaches and the team lead maintain; the IFK read (labour-market advice).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from api.schemas import arbeitgeber as ag
from api.schemas.tasks import TaskPublic
from api.usecases.access import holds
from api.usecases.actors import User
from api.usecases.tasks import add_task_by_hand, task_public
from persistence import models as m
from persistence.arbeitgeber import AgsGespraech, AgsKontakt
from persistence.db import Database, as_utc
from statemachines.refusals import role_not_allowed, unknown
from statemachines.roles import JOBCOACH, MANAGE_AGS, READ_AGS, Permission

AGS_PRIORITAET = 4  # R27 (4): employer-service tasks
AUFGABEN = {
    "stellenakquise": "Stellenakquise",
    "bewerbungstag": "Bewerbungstag durchführen",
    "begleitung_zum_arbeitgeber": "Begleitung zum Arbeitgeber",
    "arbeitsmarktberatung_ifk": "Arbeitsmarktberatung der IFK",
}


def _require(user: User, permission: Permission) -> None:
    if not holds(user, permission):
        raise role_not_allowed(f"{permission.label}: nur " + ", ".join(sorted(permission.roles)) + ".")


def kontakt_public(k: AgsKontakt) -> ag.KontaktPublic:
    return ag.KontaktPublic(
        id=k.id,
        art=k.art,
        name=k.name,
        branche=k.branche,
        anschrift=k.anschrift,
        telefon=k.telefon,
        email=k.email,
        created_by=k.created_by,
        created_at=as_utc(k.created_at),
        updated_at=as_utc(k.updated_at),
    )


def gespraech_public(g: AgsGespraech) -> ag.GespraechPublic:
    return ag.GespraechPublic(
        id=g.id,
        kontakt_id=g.kontakt_id,
        am=as_utc(g.am),
        thema=g.thema,
        notiz=g.notiz,
        erfasst_von=g.erfasst_von,
        created_at=as_utc(g.created_at),
    )


class Arbeitgeber:
    def __init__(self, db: Database):
        self.db = db

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    async def list(self, user: User, art: str | None, name: str | None, limit: int) -> list[ag.KontaktPublic]:
        _require(user, READ_AGS)
        stmt = select(AgsKontakt)
        if art:
            stmt = stmt.where(AgsKontakt.art == art)
        if name:
            stmt = stmt.where(AgsKontakt.name.ilike(f"%{name}%"))
        async with self.db.unit_of_work(read_only=True) as session:
            rows = await session.scalars(stmt.order_by(AgsKontakt.name, AgsKontakt.id).limit(limit))
            return [kontakt_public(k) for k in rows]

    async def read(self, kontakt_id: int, user: User) -> ag.KontaktPublic:
        _require(user, READ_AGS)
        async with self.db.unit_of_work(read_only=True) as session:
            return kontakt_public(await self._kontakt(session, kontakt_id))

    async def create(self, body: ag.KontaktCreate, user: User) -> ag.KontaktPublic:
        _require(user, MANAGE_AGS)
        now = self.now()
        async with self.db.unit_of_work() as session:
            k = AgsKontakt(**body.model_dump(), created_by=user.user, created_at=now, updated_at=now)
            session.add(k)
            await session.flush()
            return kontakt_public(k)

    async def update(self, kontakt_id: int, body: ag.KontaktUpdate, user: User) -> ag.KontaktPublic:
        _require(user, MANAGE_AGS)
        async with self.db.unit_of_work() as session:
            k = await self._kontakt(session, kontakt_id, lock=True)
            for field, value in body.model_dump(exclude_unset=True).items():
                setattr(k, field, value)
            k.updated_at = self.now()
            return kontakt_public(k)

    async def gespraeche(self, kontakt_id: int, user: User) -> list[ag.GespraechPublic]:
        _require(user, READ_AGS)
        async with self.db.unit_of_work(read_only=True) as session:
            await self._kontakt(session, kontakt_id)
            rows = await session.scalars(
                select(AgsGespraech)
                .where(AgsGespraech.kontakt_id == kontakt_id)
                .order_by(AgsGespraech.am.desc(), AgsGespraech.id.desc())
                .limit(200)
            )
            return [gespraech_public(g) for g in rows]

    async def gespraech(self, kontakt_id: int, body: ag.GespraechCreate, user: User) -> ag.GespraechPublic:
        """R15/R28: a conversation with the organisation is documented (the state of nothing changes)."""
        _require(user, MANAGE_AGS)
        now = self.now()
        async with self.db.unit_of_work() as session:
            await self._kontakt(session, kontakt_id)
            g = AgsGespraech(kontakt_id=kontakt_id, **body.model_dump(), erfasst_von=user.user, created_at=now)
            session.add(g)
            await session.flush()
            return gespraech_public(g)

    async def aufgabe(self, body: ag.AgsAufgabeCreate, user: User) -> TaskPublic:
        """R28: AGS work as a priority-4 task for the Jobcoaches (R27), linked to the contact or the case."""
        _require(user, MANAGE_AGS)
        now = self.now()
        async with self.db.unit_of_work() as session:
            titel = AUFGABEN[body.art]
            if body.kontakt_id is not None:
                titel += f": {(await self._kontakt(session, body.kontakt_id)).name}"
            if body.case_id and await session.get(m.Case, body.case_id) is None:
                raise unknown(f"Fall {body.case_id} ist unbekannt.")
            task = await add_task_by_hand(
                session,
                case_id=body.case_id,
                kind=f"ags_{body.art}",
                role=JOBCOACH,
                title=f"{titel} (R28)" if body.titel is None else f"{titel}: {body.titel} (R28)",
                priority=AGS_PRIORITAET,
                due=body.due,
                now=now,
            )
            return task_public(task, now)

    @staticmethod
    async def _kontakt(session, kontakt_id: int, lock: bool = False) -> AgsKontakt:
        k = await session.get(AgsKontakt, kontakt_id, with_for_update=lock)
        if k is None:
            raise unknown(f"Arbeitgeber oder Netzwerkpartner {kontakt_id} ist unbekannt.")
        return k
