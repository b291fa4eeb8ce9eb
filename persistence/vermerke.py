"""Gesprächsvermerke (R15): conversations documented on a case without changing its state.

A Vermerk is free text about a person, so it never goes to Temporal (no workflow update, no
history, no search attribute). It is stored here, in its own keyed hash chain per case beside the
case's event chain (persistence/audit.py, same keys): `nummer` counts a case's Vermerke from 1,
`prev_hash` links to the previous one (GENESIS for the first), `hash` is the HMAC over a canonical
JSON of its fields with the text entering only as `text_digest`. The event chain cannot hold them:
its sequence numbers are the workflow's, and a row written beside the workflow would take the
number of its next transition. Erasure (Art. 17 DSGVO, persistence/erasure.py) sets `text` to NULL,
the one change the database triggers (migration 0012) allow; the digest keeps the chain intact.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from persistence.audit import GENESIS, ChainKeys, UnknownAuditKey, comment_digest, instant, session_keys
from persistence.models import Base

HASHED = ("case_id", "nummer", "textbaustein", "text_digest", "gespraech_am", "actor", "role", "created_at")


class Vermerk(Base):
    __tablename__ = "vermerke"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    nummer: Mapped[int]
    textbaustein: Mapped[str] = mapped_column(String(60))
    text: Mapped[str | None] = mapped_column(Text)
    text_digest: Mapped[str] = mapped_column(String(64))
    gespraech_am: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # of the request: a reused key with other content is refused
    prev_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(40))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("case_id", "nummer", name="uq_vermerke_case_nummer"),
        UniqueConstraint("actor", "idempotency_key", name="uq_vermerke_actor_key"),
        Index("ix_vermerke_case_created", "case_id", "created_at"),
    )


def canonical(row: dict[str, Any], prev_hash: str, key_id: str) -> str:
    fields = {name: row[name] for name in HASHED}
    fields |= {"gespraech_am": instant(row["gespraech_am"]), "created_at": instant(row["created_at"])}
    fields |= {"prev_hash": prev_hash, "key_id": key_id}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def seal(keys: ChainKeys, row: dict[str, Any], prev_hash: str, key_id: str) -> str:
    return keys.mac(canonical(row, prev_hash, key_id), key_id)


async def append(session: AsyncSession, **fields: Any) -> Vermerk:
    """The case's next Vermerk, chained to its last one. The unique (case_id, nummer) turns a
    concurrent twin into an IntegrityError (the caller retries)."""
    last = (
        await session.execute(
            select(Vermerk.nummer, Vermerk.hash)
            .where(Vermerk.case_id == fields["case_id"])
            .order_by(Vermerk.nummer.desc())
            .limit(1)
        )
    ).first()
    keys = session_keys(session.sync_session)
    row = dict(fields)
    row["nummer"] = last.nummer + 1 if last else 1
    row["text_digest"] = comment_digest(row["text"])
    row["prev_hash"] = last.hash if last else GENESIS
    row["key_id"] = keys.active
    row["hash"] = seal(keys, row, row["prev_hash"], keys.active)
    vermerk = Vermerk(**row)
    session.add(vermerk)
    await session.flush()
    return vermerk


def verify(session: Session, keys: ChainKeys, case_id: str) -> list[str]:
    """What is wrong with the case's Vermerk chain (empty: intact). Sync (`Database.run`)."""
    return [f"Vermerk {nummer}: {reason}" for nummer, reason in _problems(session, keys, case_id)]


def _problems(session: Session, keys: ChainKeys, case_id: str) -> list[tuple[int, str]]:
    problems, prev, expected = [], GENESIS, 1
    for v in session.scalars(select(Vermerk).where(Vermerk.case_id == case_id).order_by(Vermerk.nummer)):
        row = {name: getattr(v, name) for name in HASHED}
        if v.nummer != expected:
            problems.append((v.nummer, f"Lücke, erwartet {expected}"))
        if v.prev_hash != prev:
            problems.append((v.nummer, "Verkettung gebrochen"))
        if v.text is not None and comment_digest(v.text) != v.text_digest:
            problems.append((v.nummer, "Text verändert"))
        try:
            if seal(keys, row, v.prev_hash, v.key_id) != v.hash:
                problems.append((v.nummer, "Prüfsumme falsch"))
        except UnknownAuditKey:
            problems.append((v.nummer, f"Schlüssel {v.key_id} unbekannt"))
        prev, expected = v.hash, v.nummer + 1
    return problems


def verify_all(session: Session, keys: ChainKeys) -> tuple[int, list[tuple[str, int, str]]]:
    """(Vermerke checked, [(case id, nummer, reason)]) over every case (`fahrplan audit verify`)."""
    checked = session.scalar(select(func.count()).select_from(Vermerk)) or 0
    found = []
    for case_id in session.scalars(select(Vermerk.case_id).distinct().order_by(Vermerk.case_id)):
        found += [(case_id, nummer, reason) for nummer, reason in _problems(session, keys, case_id)]
    return checked, found
