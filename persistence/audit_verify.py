"""`fahrplan audit verify`, the database part: every case's chain, and each broken one reported
with its first broken link (case, sequence, what differs).

Per event: sequence continuity from 0, the link to its predecessor, the hash recomputed under
its key (persistence/audit.py), the comment against its digest, and
- an unkeyed (sha256) event only if migration 0008 found it (id up to `audit_legacy`) and no
  keyed event of its case came before it: otherwise the chain was rehashed without the key;
- a comment erased (NULL with a digest) only in a case an `erasures` row covers.
Per case: the chain reaches the sequence the read model recorded; no case row without events
and no events without a case row. The read model is as rewritable as the events, so the
anchors outside the database (the workflows, worker/audit_anchors.py) are compared afterwards
against `Report.chains`.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from persistence import models as m
from persistence.audit import GENESIS, UNKEYED, ChainKeys, UnknownAuditKey, comment_digest, event_hash, hash_at
from persistence.db import Database
from persistence.gruppencoaching import Buchung
from persistence.kooperationsplan import PlanVersion
from persistence.rechtskreiswechsel import InfoBuchung

ALL_CASES = "(alle)"


@dataclass(frozen=True)
class Break:
    case_id: str
    sequence: int
    reason: str


@dataclass
class Chain:
    """A case's chain as the database holds it: its workflow and its last event (-1: none)."""

    workflow_id: str | None
    sequence: int = -1
    hash: str | None = None


@dataclass
class Report:
    cases: int = 0  # cases with events
    events: int = 0
    erased_comments: int = 0
    unkeyed_events: int = 0
    chains: dict[str, Chain] = field(default_factory=dict)
    breaks: list[Break] = field(default_factory=list)
    unchecked: list[Break] = field(default_factory=list)  # could not be compared (e.g. a workflow not answering)
    notes: list[str] = field(default_factory=list)
    workflows_checked: int | None = None  # None: not compared with Temporal

    @property
    def ok(self) -> bool:
        return not self.breaks

    @property
    def broken(self) -> Break | None:
        """The first broken link (by case and sequence), or None."""
        return min(self.breaks, key=lambda b: (b.case_id, b.sequence)) if self.breaks else None

    @property
    def broken_cases(self) -> set[str]:
        return {b.case_id for b in self.breaks}

    @property
    def heads_digest(self) -> str:
        """One value for all chain heads: note it elsewhere to detect a rewrite of whole chains."""
        heads = sorted(f"{case}:{c.sequence}:{c.hash}" for case, c in self.chains.items() if c.hash is not None)
        return hashlib.sha256("\n".join(heads).encode()).hexdigest()


class _Walk:
    """One case's events in sequence order; `check` returns what is wrong with the next one."""

    def __init__(self, keys: ChainKeys, erased: bool, cutoff: int | None):
        self.keys, self.erased, self.cutoff = keys, erased, cutoff
        self.sequence, self.hash, self.keyed = -1, GENESIS, False  # the last event that checked out
        self.last: tuple[int, str] | None = None  # the last event stored, checked or not

    def check(self, row: Mapping[str, Any]) -> str | None:
        expected = self.sequence + 1
        if row["sequence"] != expected:
            return f"Sequenz {row['sequence']} statt {expected} (Ereignis fehlt oder ist vertauscht)"
        if row["prev_hash"] != self.hash:
            return f"prev_hash {row['prev_hash']} passt nicht zum Vorgänger ({self.hash})"
        if row["comment"] is not None and comment_digest(row["comment"]) != row["comment_digest"]:
            return "Kommentar passt nicht zu comment_digest (Kommentar verändert)"
        if row["comment"] is None and row["comment_digest"] is not None and not self.erased:
            return "Kommentar entfernt, aber keine Löschung (erasures) betrifft diesen Fall"
        if (reason := self._hash(row)) is not None:
            return reason
        self.sequence, self.hash = row["sequence"], row["hash"]
        self.keyed = self.keyed or row["key_id"] != UNKEYED
        return None

    def _hash(self, row: Mapping[str, Any]) -> str | None:
        if row["key_id"] == UNKEYED:
            if self.keyed:
                return "Hash ohne Schlüssel (sha256) nach einem Ereignis mit Schlüssel: Kette neu berechnet"
            if self.cutoff is None or row["id"] > self.cutoff:
                return "Hash ohne Schlüssel (sha256) bei einem Ereignis nach Migration 0008: Kette neu berechnet"
        try:
            expected = event_hash(row, row["prev_hash"], self.keys)
        except UnknownAuditKey as unknown:
            return f"Schlüssel-ID {unknown.key_id!r} ist nicht konfiguriert (FAHRPLAN_AUDIT_KEYS)"
        if row["hash"] == expected:
            return None
        if row["key_id"] == UNKEYED:
            return f"hash {row['hash']} weicht ab, neu berechnet {expected} (Inhalt verändert)"
        # The correct keyed hash of a changed event is never printed: it would be a valid forgery.
        return (
            f"hash {row['hash']} weicht ab (Inhalt verändert oder ohne den Schlüssel {row['key_id']!r} neu berechnet)"
        )


async def verify(db: Database, keys: ChainKeys | None = None) -> Report:
    """Walk every case's chain; report each broken case with its first broken link."""
    keys = keys or db.audit_keys
    if keys is None:
        raise RuntimeError("verifying the audit chain needs its keys: Database(url, audit_keys=...)")
    report = Report()
    async with db.unit_of_work(read_only=True) as session:
        cases = {
            row.case_id: row
            for row in await session.execute(select(m.Case.case_id, m.Case.version, m.Case.workflow_id))
        }
        erased = await erased_case_ids(session)
        cutoff = await _legacy_cutoff(session, report)
        current, walk = None, None
        async for row in _rows(session):
            if row["case_id"] != current:
                _finish(report, current, walk, cases)
                current, walk = row["case_id"], _Walk(keys, row["case_id"] in erased, cutoff)
                report.cases += 1
            report.events += 1
            report.unkeyed_events += row["key_id"] == UNKEYED
            if current in report.broken_cases:
                walk.last = (row["sequence"], row["hash"])
                continue  # its first broken link is reported; later ones follow from it
            report.erased_comments += row["comment"] is None and row["comment_digest"] is not None and walk.erased
            walk.last = (row["sequence"], row["hash"])
            if (reason := walk.check(row)) is not None:
                report.breaks.append(Break(current, row["sequence"], reason))
        _finish(report, current, walk, cases)
    for case_id, case in cases.items():
        if case_id not in report.chains:
            report.chains[case_id] = Chain(case.workflow_id)
            report.breaks.append(Break(case_id, 0, "Fall ohne ein einziges Ereignis (Verlauf gelöscht)"))
    return report


def _finish(report: Report, case_id: str | None, walk: _Walk | None, cases: Mapping[str, Any]) -> None:
    """The end of a case's events: its head, and whether it reaches what its read model recorded."""
    if case_id is None or walk is None:
        return
    case = cases.get(case_id)
    last_sequence, last_hash = walk.last or (-1, None)
    report.chains[case_id] = Chain(case.workflow_id if case else None, last_sequence, last_hash)
    if case_id in report.broken_cases:
        return
    if case is None:
        report.breaks.append(Break(case_id, 0, "Ereignisse ohne Fall (die Zeile in cases fehlt)"))
    elif case.version > walk.sequence:
        reason = f"Ereignisse ab Sequenz {walk.sequence + 1} fehlen (Fall steht auf {case.version})"
        report.breaks.append(Break(case_id, walk.sequence + 1, reason))


async def _rows(session: AsyncSession) -> AsyncIterator[Mapping[str, Any]]:
    stmt = select(m.CaseEvent.__table__).order_by(m.CaseEvent.case_id, m.CaseEvent.sequence)
    result = await session.stream(stmt.execution_options(yield_per=1000))
    async for row in result.mappings():
        yield row


async def erased_case_ids(session: AsyncSession) -> set[str]:
    """Every case an erasure (Art. 17 DSGVO) covered."""
    return {case_id for ids in await session.scalars(select(m.Erasure.case_ids)) for case_id in ids or ()}


async def _legacy_cutoff(session: AsyncSession, report: Report) -> int | None:
    """The largest id of the events migration 0008 found (None: none); a changed table is a break."""
    rows = (await session.execute(select(m.AuditLegacy.max_event_id).order_by(m.AuditLegacy.id))).all()
    if len(rows) != 1:
        report.breaks.append(Break(ALL_CASES, 0, f"audit_legacy hat {len(rows)} Zeilen statt einer (verändert)"))
    return rows[0].max_event_id if rows else None


async def event_hash_at(db: Database, case_id: str, sequence: int) -> str | None:
    """The stored hash of one event (the Temporal comparison of a workflow's head digest)."""
    async with db.unit_of_work(read_only=True) as session:
        return await session.run_sync(hash_at, case_id, sequence)


async def referenced_case_ids(db: Database) -> set[str]:
    """Case ids that rows other than `cases` and `case_events` name: where to look for the
    workflows of cases whose rows were deleted, when Temporal cannot list its workflows."""
    columns = (
        m.TransitionRequest.case_id,
        m.Notification.case_id,
        m.Task.case_id,
        PlanVersion.case_id,
        Buchung.case_id,
        InfoBuchung.case_id,
    )
    found: set[str] = set()
    async with db.unit_of_work(read_only=True) as session:
        for column in columns:
            found.update(await session.scalars(select(column).where(column.is_not(None)).distinct()))
        found |= await erased_case_ids(session)
        for links in await session.scalars(select(m.Case.links)):
            found.update(v for v in (links or {}).values() if isinstance(v, str))
    return found


def summary(report: Report) -> str:
    """The German report of `fahrplan audit verify`."""
    lines = [
        f"Fälle: {report.cases}, Ereignisse: {report.events}, gelöschte Kommentare: {report.erased_comments}, "
        f"ohne Schlüssel (vor Migration 0008): {report.unkeyed_events}",
        f"Kopf-Hash aller Ketten: {report.heads_digest}",
    ]
    if report.workflows_checked is None:
        lines.append("Abgleich mit Temporal: nicht durchgeführt")
    else:
        lines.append(f"Abgleich mit Temporal: {report.workflows_checked} Workflows geprüft")
    lines += [f"Hinweis: {note}" for note in report.notes]
    lines += [f"Nicht prüfbar: Fall {u.case_id}: {u.reason}" for u in report.unchecked]
    if report.ok:
        lines.append("Audit-Kette intakt." if not report.unchecked else "Audit-Kette intakt, soweit geprüft.")
    else:
        lines.append(f"Gebrochen: {len(report.broken_cases)} Fälle, je mit der ersten gebrochenen Stelle:")
        for b in sorted(report.breaks, key=lambda b: (b.case_id, b.sequence)):
            lines.append(f"Audit-Kette GEBROCHEN: Fall {b.case_id}, Sequenz {b.sequence}: {b.reason}")
    return "\n".join(lines)
