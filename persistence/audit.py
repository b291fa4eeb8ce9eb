"""The tamper-evident audit trail: a hash chain over each case's events, and its verifier.

Every `case_events` row stores `prev_hash` (the hash of the case's previous event, or
GENESIS for sequence 0) and `hash` = sha256 over a canonical JSON of the event's fields.
The comment enters only through `comment_digest`, a column of its own, so erasing a
comment (Art. 17 DSGVO, the one change the database triggers allow) keeps the chain intact.
Chains are per case: writers of different cases never wait for each other.
The writer (`append_event`), migration 0005 (backfill) and `verify` share this module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from persistence import models as m
from persistence.db import Database, as_utc

GENESIS = "0" * 64
HASHED = (
    "case_id", "sequence", "trigger", "from_state", "to_state", "actor", "role", "comment_digest", "data", "occurred_at",
)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def comment_digest(comment: str | None) -> str | None:
    return None if comment is None else _sha256(comment)


def instant(value: datetime) -> str:
    """The canonical form of an instant: UTC, ISO 8601, always with microseconds."""
    return as_utc(value).isoformat(timespec="microseconds")


def event_hash(row: Mapping[str, Any], prev_hash: str) -> str:
    """sha256 over the canonical JSON (sorted keys, no spaces, UTF-8) of the hashed fields."""
    fields = {name: row[name] for name in HASHED} | {"occurred_at": instant(row["occurred_at"]), "prev_hash": prev_hash}
    return _sha256(json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def event_row(
    *, case_id: str, sequence: int, trigger: str, from_state: str | None, to_state: str, actor: str, role: str,
    comment: str | None, data: dict[str, Any], occurred_at: datetime, prev_hash: str,
) -> dict[str, Any]:
    """Every column of a new event, its hashes included."""
    row = {
        "case_id": case_id, "sequence": sequence, "trigger": trigger, "from_state": from_state, "to_state": to_state,
        "actor": actor, "role": role, "comment": comment, "comment_digest": comment_digest(comment), "data": data,
        "occurred_at": as_utc(occurred_at), "prev_hash": prev_hash,
    }
    row["hash"] = event_hash(row, prev_hash)
    return row


class Head(NamedTuple):
    sequence: int
    hash: str


_events = m.CaseEvent.__table__
# Built once: both run on every transition (activities/cases.py).
HEAD = (
    select(_events.c.sequence, _events.c.hash)
    .where(_events.c.case_id == bindparam("case_id"))
    .order_by(_events.c.sequence.desc())
    .limit(1)
)
APPEND = insert(_events)


def head(session: Session, case_id: str) -> Head | None:
    """The case's last event: one indexed query on (case_id, sequence). Sync code: it runs inside
    `Database.run` (async callers: `await session.run_sync(head, case_id)`)."""
    found = session.execute(HEAD, {"case_id": case_id}).first()
    return Head(found.sequence, found.hash) if found else None


def append_event(session: Session, *, prev: Head | None, **fields: Any) -> str:
    """Insert the next event of a case after `prev` (None: the first); returns its hash.
    The unique (case_id, sequence) turns a concurrent duplicate into an IntegrityError."""
    row = event_row(prev_hash=prev.hash if prev else GENESIS, **fields)
    session.execute(APPEND, row)
    return row["hash"]


# --- verification ------------------------------------------------------------------------------


@dataclass
class Break:
    case_id: str
    sequence: int
    reason: str


@dataclass
class Report:
    cases: int = 0
    events: int = 0
    erased_comments: int = 0
    heads: list[str] = field(default_factory=list)  # "case_id:sequence:hash" of each chain's last event
    broken: Break | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None

    @property
    def heads_digest(self) -> str:
        """One value for all chain heads: note it elsewhere to detect a rewrite of whole chains."""
        return _sha256("\n".join(sorted(self.heads)))


def check_event(row: Mapping[str, Any], prev: Head | None) -> str | None:
    """What is wrong with an event after `prev` (None: the first of its case), or None."""
    expected_sequence, expected_prev = (0, GENESIS) if prev is None else (prev.sequence + 1, prev.hash)
    if row["sequence"] != expected_sequence:
        return f"Sequenz {row['sequence']} statt {expected_sequence} (Ereignis fehlt oder ist vertauscht)"
    if row["prev_hash"] != expected_prev:
        return f"prev_hash {row['prev_hash']} passt nicht zum Vorgänger ({expected_prev})"
    if row["comment"] is not None and comment_digest(row["comment"]) != row["comment_digest"]:
        return "Kommentar passt nicht zu comment_digest (Kommentar verändert)"
    recomputed = event_hash(row, row["prev_hash"])
    if row["hash"] != recomputed:
        return f"hash {row['hash']} weicht ab, neu berechnet {recomputed} (Inhalt verändert)"
    return None


async def _rows(session: AsyncSession) -> AsyncIterator[Mapping[str, Any]]:
    stmt = select(m.CaseEvent.__table__).order_by(m.CaseEvent.case_id, m.CaseEvent.sequence)
    result = await session.stream(stmt.execution_options(yield_per=1000))
    async for row in result.mappings():
        yield row


async def verify(db: Database) -> Report:
    """Walk every case's chain; stop at the first broken link."""
    report = Report()
    async with db.unit_of_work(read_only=True) as session:
        versions = {row.case_id: row.version for row in await session.execute(select(m.Case.case_id, m.Case.version))}
        current, prev = None, None
        async for row in _rows(session):
            if row["case_id"] != current:
                if (broken := _tail(current, prev, versions, report)) is not None:
                    report.broken = broken
                    return report
                current, prev = row["case_id"], None
                report.cases += 1
            report.events += 1
            report.erased_comments += row["comment"] is None and row["comment_digest"] is not None
            if (reason := check_event(row, prev)) is not None:
                report.broken = Break(row["case_id"], row["sequence"], reason)
                return report
            prev = Head(row["sequence"], row["hash"])
        report.broken = _tail(current, prev, versions, report)
        if report.broken is None:
            missing = sorted(set(versions) - {h.split(":")[0] for h in report.heads})
            if missing:
                report.broken = Break(missing[0], 0, "Fall ohne ein einziges Ereignis (Verlauf gelöscht)")
    return report


def _tail(case_id: str | None, last: Head | None, versions: dict[str, int], report: Report) -> Break | None:
    """A case's chain must reach the event its read model last recorded (a cut-off tail)."""
    if case_id is None or last is None:
        return None
    report.heads.append(f"{case_id}:{last.sequence}:{last.hash}")
    version = versions.get(case_id)
    if version is not None and version > last.sequence:
        reason = f"Ereignisse ab Sequenz {last.sequence + 1} fehlen (Fall steht auf {version})"
        return Break(case_id, last.sequence + 1, reason)
    return None


def summary(report: Report) -> str:
    lines = [
        f"Fälle: {report.cases}, Ereignisse: {report.events}, gelöschte Kommentare: {report.erased_comments}",
        f"Kopf-Hash aller Ketten: {report.heads_digest}",
    ]
    if report.broken is None:
        lines.append("Audit-Kette intakt.")
    else:
        b = report.broken
        lines.append(f"Audit-Kette GEBROCHEN: Fall {b.case_id}, Sequenz {b.sequence}: {b.reason}")
    return "\n".join(lines)
