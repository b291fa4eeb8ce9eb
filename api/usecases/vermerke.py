"""Gesprächsvermerke (R15): staff document a conversation on a case without changing its state,
using a configured Termin-Textbaustein. Stored in the database in the Vermerke's own hash chain
(persistence/vermerke.py), never sent to Temporal. Repeat-safe with an Idempotency-Key.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.schemas.common import Named
from api.schemas.vermerke import TextbausteinPublic, VermerkCreate, VermerkPublic
from api.usecases import access
from api.usecases.actors import User
from persistence import erasure
from persistence import vermerke as store
from persistence.db import Database
from runtime.settings import Settings
from statemachines.refusals import conflict, invalid, role_not_allowed
from statemachines.registry import PROCESSES
from statemachines.roles import reader_roles

CLOCK_SKEW = timedelta(minutes=5)  # a conversation "now" on a clock a little ahead is still now
ATTEMPTS = 3  # a concurrent Vermerk on the same case takes the number: count again


def fingerprint(case_id: str, body: VermerkCreate) -> str:
    return hashlib.sha256(json.dumps([case_id, body.model_dump(mode="json")], sort_keys=True).encode()).hexdigest()


class Vermerke:
    def __init__(self, db: Database, settings: Settings):
        self.db, self.bausteine = db, settings.textbausteine

    def textbausteine(self) -> list[TextbausteinPublic]:
        return [TextbausteinPublic(name=n, label=b.label, vorlage=b.vorlage) for n, b in self.bausteine.items()]

    def public(self, v: store.Vermerk) -> VermerkPublic:
        baustein = self.bausteine.get(v.textbaustein)
        return VermerkPublic(
            id=v.id,
            case_id=v.case_id,
            nummer=v.nummer,
            textbaustein=Named(name=v.textbaustein, label=baustein.label if baustein else v.textbaustein),
            text=v.text,
            gespraech_am=v.gespraech_am,
            actor=v.actor,
            role=v.role,
            created_at=v.created_at,
        )

    async def create(self, case_id: str, body: VermerkCreate, user: User, key: str | None) -> VermerkPublic:
        """Add a Vermerk to the case; the same Idempotency-Key returns the first one."""
        if not user.staff:
            raise role_not_allowed("Vermerke schreiben nur Mitarbeitende des Jobcenters.")
        if body.textbaustein not in self.bausteine:
            raise invalid(
                "unknown-textbaustein",
                "Unbekannter Textbaustein",
                f"Den Textbaustein {body.textbaustein} gibt es nicht.",
                errors=[{"loc": ["body", "textbaustein"], "msg": "unbekannter Textbaustein", "type": "enum"}],
                textbausteine=list(self.bausteine),
            )
        now = datetime.now(UTC)
        if body.gespraech_am is not None and body.gespraech_am > now + CLOCK_SKEW:
            raise invalid(
                "invalid-vermerk",
                "Ungültiger Vermerk",
                "Ein Gespräch in der Zukunft kann nicht vermerkt werden.",
                errors=[{"loc": ["body", "gespraech_am"], "msg": "liegt in der Zukunft", "type": "future"}],
            )
        digest = fingerprint(case_id, body)
        for attempt in range(ATTEMPTS):
            try:
                return await self._append(case_id, body, user, key, digest, now)
            except IntegrityError:
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    async def _append(self, case_id, body: VermerkCreate, user: User, key, digest: str, now) -> VermerkPublic:
        async with self.db.unit_of_work() as session:
            case = await access.readable_case(session, user, case_id)
            if key is not None:
                earlier = await session.scalar(
                    select(store.Vermerk).where(store.Vermerk.actor == user.user, store.Vermerk.idempotency_key == key)
                )
                if earlier is not None:
                    if earlier.fingerprint != digest:
                        raise invalid(
                            "idempotency-key-reused",
                            "Idempotency-Key wiederverwendet",
                            "Dieser Idempotency-Key gehört zu einer anderen Anfrage.",
                        )
                    return self.public(earlier)
            if await erasure.covering_erasure(session, case_id) is not None:
                raise conflict(
                    "bereits-geloescht",
                    "Bereits gelöscht",
                    f"Die personenbezogenen Daten zu Fall {case_id} sind gelöscht; neue Vermerke sind nicht möglich.",
                )
            role = sorted(user.roles & reader_roles(PROCESSES[case.process]))[0]
            vermerk = await store.append(
                session,
                case_id=case_id,
                textbaustein=body.textbaustein,
                text=body.text,
                gespraech_am=body.gespraech_am or now,
                actor=user.user,
                role=role,
                created_at=now,
                idempotency_key=key,
                fingerprint=digest,
            )
            return self.public(vermerk)

    async def list(self, case_id: str, user: User) -> list[VermerkPublic]:
        """The case's Vermerke, oldest first."""
        async with self.db.unit_of_work(read_only=True) as session:
            await access.readable_case(session, user, case_id)
            rows = await session.scalars(
                select(store.Vermerk).where(store.Vermerk.case_id == case_id).order_by(store.Vermerk.nummer)
            )
            return [self.public(v) for v in rows]
