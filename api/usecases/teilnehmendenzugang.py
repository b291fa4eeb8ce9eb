"""Participant access (R22): a Jobcoach or IFK who works on a case issues a token for its
participant, expiring (settings `teilnehmendenzugang_tage`) and revocable; the token is shown
once and stored only as a hash (persistence/teilnehmendenzugang.py). api/auth.py accepts it as
the `teilnehmende` token of that one case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from api.schemas.teilnehmendenzugang import ZugangIssued, ZugangPublic
from api.usecases import access
from api.usecases.actors import User
from persistence import teilnehmendenzugang as store
from persistence.db import Database, as_utc
from runtime.settings import Settings
from statemachines.refusals import conflict, role_not_allowed, unknown
from statemachines.roles import GRANT_PARTICIPANT_ACCESS, PARTICIPANT

USER_PREFIX = "teilnehmende-zugang-"


def _public(row: store.Teilnehmendenzugang, now: datetime) -> dict:
    return {
        "id": row.id,
        "case_id": row.case_id,
        "issued_by": row.issued_by,
        "created_at": row.created_at,
        "expires_at": row.expires_at,
        "revoked_at": row.revoked_at,
        "revoked_by": row.revoked_by,
        "gueltig": row.revoked_at is None and as_utc(row.expires_at) > now,
    }


class Teilnehmendenzugaenge:
    def __init__(self, db: Database, settings: Settings):
        self.db, self.days = db, settings.teilnehmendenzugang_tage

    def _may(self, user: User) -> str:
        roles = sorted(user.roles & GRANT_PARTICIPANT_ACCESS.roles)
        if not roles:
            allowed = sorted(GRANT_PARTICIPANT_ACCESS.roles)
            raise role_not_allowed("Teilnehmendenzugänge stellen nur aus: " + ", ".join(allowed) + ".", roles=allowed)
        return roles[0]

    async def issue(self, case_id: str, user: User) -> ZugangIssued:
        """A new access for the case's participant; the token is in this answer only."""
        role = self._may(user)
        now = datetime.now(UTC)
        token = store.new_token()
        async with self.db.unit_of_work() as session:
            case = await access.readable_case(session, user, case_id)
            if case.final:
                raise conflict(
                    "fall-abgeschlossen", "Fall abgeschlossen", "Für einen abgeschlossenen Fall gibt es keinen Zugang."
                )
            row = store.Teilnehmendenzugang(
                case_id=case_id,
                token_hash=store.token_hash(token),
                issued_by=user.user,
                role=role,
                created_at=now,
                expires_at=now + timedelta(days=self.days),
            )
            session.add(row)
            await session.flush()
            return ZugangIssued(**_public(row, now), token=token)

    async def list(self, case_id: str, user: User) -> list[ZugangPublic]:
        """The case's accesses, newest first, without tokens."""
        self._may(user)
        now = datetime.now(UTC)
        async with self.db.unit_of_work(read_only=True) as session:
            await access.readable_case(session, user, case_id)
            rows = await session.scalars(
                select(store.Teilnehmendenzugang)
                .where(store.Teilnehmendenzugang.case_id == case_id)
                .order_by(store.Teilnehmendenzugang.id.desc())
            )
            return [ZugangPublic(**_public(r, now)) for r in rows]

    async def revoke(self, case_id: str, zugang_id: int, user: User) -> ZugangPublic:
        """Revoke an access at once; revoking it again changes nothing."""
        self._may(user)
        now = datetime.now(UTC)
        async with self.db.unit_of_work() as session:
            await access.readable_case(session, user, case_id)
            row = await session.get(store.Teilnehmendenzugang, zugang_id, with_for_update=True)
            if row is None or row.case_id != case_id:
                raise unknown(f"Zugang {zugang_id} zu Fall {case_id} ist unbekannt.")
            if row.revoked_at is None:
                row.revoked_at, row.revoked_by = now, user.user
                await session.flush()
            return ZugangPublic(**_public(row, now))

    async def user_for(self, token: str) -> User | None:
        """The participant a token belongs to, or None (unknown, revoked, expired)."""
        if not token.startswith(store.PREFIX) or len(token) > 200:
            return None
        now = datetime.now(UTC)
        found = await self.db.run(lambda session: store.valid_access(session, token, now), read_only=True)
        if found is None:
            return None
        zugang_id, case_id = found
        return User(user=f"{USER_PREFIX}{zugang_id}", roles=frozenset({PARTICIPANT}), case_id=case_id)
