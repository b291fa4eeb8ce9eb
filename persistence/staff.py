"""The staff directory: every staff user id Fahrplan has seen authenticate, with their roles.

Fields that name a member of staff (`fachkraft_beteiligt`, `schlichtungsperson`, the involved
staff of a Kooperationsplan, a task's assignee) must hold a known staff id, never free text: free
text may name a citizen, and these values reach the audit trail and the Temporal history, where
erasure cannot follow them. `known_staff` is the check; api/auth.py records who authenticates.
Staff ids are compared case-insensitively, as R52 compares them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import JSON, String, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models import Base


class Staff(Base):
    __tablename__ = "staff"

    user_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    roles: Mapped[list[str]] = mapped_column(JSON)  # the Fahrplan roles of the last sign-in that changed them
    first_seen_at: Mapped[datetime]
    roles_seen_at: Mapped[datetime]


async def remember_staff(session: AsyncSession, user_id: str, roles: Iterable[str], now: datetime) -> None:
    """Record a staff user (or their changed roles). A concurrent first sign-in elsewhere is fine."""
    roles = sorted(set(roles))
    known = await session.get(Staff, user_id)
    if known is None:
        dialect = (await session.connection()).dialect.name
        insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        row = {"user_id": user_id, "roles": roles, "first_seen_at": now, "roles_seen_at": now}
        await session.execute(insert(Staff).values(row).on_conflict_do_nothing(index_elements=["user_id"]))
    elif known.roles != roles:
        known.roles, known.roles_seen_at = roles, now


async def known_staff(session: AsyncSession, ids: Iterable[str]) -> set[str]:
    """Those of `ids` that are known staff ids (case-insensitive); the rest are unknown."""
    wanted = {i: i.casefold() for i in ids if i}
    if not wanted:
        return set()
    found = set(
        await session.scalars(
            select(func.lower(Staff.user_id)).where(func.lower(Staff.user_id).in_(set(wanted.values())))
        )
    )
    return {i for i, folded in wanted.items() if folded in found}


async def list_staff(session: AsyncSession) -> list[Staff]:
    return list(await session.scalars(select(Staff).order_by(Staff.user_id)))
