"""Participant access (R22): a Jobcoach or IFK issues a token for one case, shown once, stored only
as its SHA-256 (a token is 256 random bits: a plain hash suffices, nothing to brute-force),
expiring and revocable. The token works as a `teilnehmende` bearer token (api/auth.py)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from persistence.db import as_utc
from persistence.models import Base

PREFIX = "tn_"  # tells a participant token from a staff token at a glance (and in auth)


class Teilnehmendenzugang(Base):
    __tablename__ = "teilnehmendenzugaenge"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    token_hash: Mapped[str] = mapped_column(String(64))
    issued_by: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("ux_teilnehmendenzugaenge_token", "token_hash", unique=True),
        Index("ix_teilnehmendenzugaenge_case", "case_id"),
    )


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def valid_access(session: Session, token: str, now: datetime) -> tuple[int, str] | None:
    """(access id, case id) a token opens: known, not revoked, not expired. Sync (`Database.run`)."""
    t = Teilnehmendenzugang
    found = session.execute(
        select(t.id, t.case_id, t.revoked_at, t.expires_at).where(t.token_hash == token_hash(token))
    ).first()
    if found is None or found.revoked_at is not None or as_utc(found.expires_at) <= now:
        return None
    return found.id, found.case_id
