"""Plan versions (R40–R42): the plan's content lives here, never in Temporal.

A row starts as a draft (`entwurf`, no version number) stored by the API before the
transition is sent; the activity recording the transition makes it `gueltig` with the
next version number in the same database transaction, and the version before it
becomes `abgeloest`. The content is Sozialdaten, like `people`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from persistence.models import Base, Case, CaseEvent
from statemachines.plan_inhalt import PlanInhalt, inhalt_hash

ENTWURF, GUELTIG, ABGELOEST = "entwurf", "gueltig", "abgeloest"
VORSCHLAG = "vorschlag"  # R53: a Schlichtung's proposal, kept (never a version), agreed or not
SCHRITT_ERFASST = "schritt_erfasst"  # the trigger recording a step's status (R47)
PLAN_PROCESS = "kooperationsplan"


class PlanVersion(Base):
    __tablename__ = "plan_versions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the draft id sent to the workflow
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    version: Mapped[int | None]  # set when the draft becomes valid
    status: Mapped[str] = mapped_column(String(20))  # entwurf | gueltig | abgeloest | vorschlag (R53)
    quelle: Mapped[str] = mapped_column(String(20))  # vereinbart | fortgeschrieben | schlichtung | vorschlag
    inhalt: Mapped[dict[str, Any]]
    inhalt_hash: Mapped[str] = mapped_column(String(64))
    erstellt_von: Mapped[str] = mapped_column(String(100))  # a staff user id
    created_at: Mapped[datetime]
    gueltig_ab: Mapped[datetime | None]
    sequence: Mapped[int | None]  # the case event that made it valid

    __table_args__ = (
        UniqueConstraint("case_id", "version", name="uq_plan_versions_case_version"),
        Index("ix_plan_versions_case_id", "case_id"),
    )

    @property
    def plan(self) -> PlanInhalt:
        return PlanInhalt.model_validate(self.inhalt)


async def entwurf_speichern(
    session: AsyncSession, case_id: str, inhalt: PlanInhalt, quelle: str, erstellt_von: str, now: datetime
) -> PlanVersion:
    """Store a draft; the same content from the same source reuses its open draft (a retried request)."""
    digest = inhalt_hash(inhalt)
    existing = await session.scalar(
        select(PlanVersion).where(
            PlanVersion.case_id == case_id,
            PlanVersion.status == ENTWURF,
            PlanVersion.inhalt_hash == digest,
            PlanVersion.quelle == quelle,
        )
    )
    if existing is not None:
        return existing
    draft = PlanVersion(
        id=str(uuid.uuid4()),
        case_id=case_id,
        version=None,
        status=ENTWURF,
        quelle=quelle,
        inhalt=inhalt.model_dump(mode="json"),
        inhalt_hash=digest,
        erstellt_von=erstellt_von,
        created_at=now,
        gueltig_ab=None,
        sequence=None,
    )
    session.add(draft)
    await session.flush()
    return draft


def gueltig_machen(
    session: Session, case_id: str, entwurf: str, version: int, sequence: int, when: datetime
) -> PlanVersion | None:
    """The draft becomes version `version`; the version in force before it is superseded.
    Sync: it runs inside record_transition's transaction (`Database.run`)."""
    draft = session.get(PlanVersion, entwurf)
    if draft is None or draft.status != ENTWURF or draft.case_id != case_id:
        return None
    session.execute(
        update(PlanVersion)
        .where(PlanVersion.case_id == case_id, PlanVersion.status == GUELTIG)
        .values(status=ABGELOEST)
    )
    draft.version, draft.status = version, GUELTIG
    draft.gueltig_ab, draft.sequence = when, sequence
    session.flush()
    return draft


def vorschlag_festhalten(session: Session, entwurf: str, sequence: int) -> PlanVersion | None:
    """R53: the draft of a Schlichtung's proposal is kept as a proposal (it can no longer become a
    version; an agreement stores its own draft). Sync: inside record_transition's transaction."""
    draft = session.get(PlanVersion, entwurf)
    if draft is None or draft.status != ENTWURF:
        return None
    draft.status, draft.sequence = VORSCHLAG, sequence
    session.flush()
    return draft


async def vorschlaege(session: AsyncSession, case_id: str) -> list[PlanVersion]:
    """R53: the Schlichtungen's proposals for a plan case, oldest first."""
    rows = await session.scalars(
        select(PlanVersion)
        .where(PlanVersion.case_id == case_id, PlanVersion.status == VORSCHLAG)
        .order_by(PlanVersion.created_at)
    )
    return list(rows)


async def versionen(session: AsyncSession, case_id: str) -> list[PlanVersion]:
    """Every version that was ever in force, oldest first (drafts are not part of the history)."""
    rows = await session.scalars(
        select(PlanVersion)
        .where(PlanVersion.case_id == case_id, PlanVersion.version.is_not(None))
        .order_by(PlanVersion.version)
    )
    return list(rows)


def version(session: Session, case_id: str, number: int | None = None) -> PlanVersion | None:
    """Version `number`, or the newest one when None. Sync (async callers: `session.run_sync`)."""
    stmt = select(PlanVersion).where(PlanVersion.case_id == case_id, PlanVersion.version.is_not(None))
    if number is not None:
        stmt = stmt.where(PlanVersion.version == number)
    return session.scalar(stmt.order_by(PlanVersion.version.desc()).limit(1))


async def plan_case_id(session: AsyncSession, case_id: str) -> str | None:
    """The kooperationsplan case a case belongs to: itself, or the parent of a Schlichtung."""
    case = await session.get(Case, case_id)
    if case is None:
        return None
    return case.case_id if case.process == PLAN_PROCESS else (case.links or {}).get(PLAN_PROCESS)


async def schritt_stand(session: AsyncSession, row: PlanVersion) -> dict[int, str]:
    """R47: the status of each step of version `row` (1 = its first step), as the audit trail
    recorded it while the version was in force; a step without a record is `offen` (so is every
    step of a plan agreed before R47)."""
    status = dict.fromkeys(range(1, len(row.inhalt.get("schritte") or []) + 1), "offen")
    if row.sequence is None:
        return status
    until = await session.scalar(
        select(func.min(PlanVersion.sequence)).where(
            PlanVersion.case_id == row.case_id, PlanVersion.version > (row.version or 0)
        )
    )
    stmt = select(CaseEvent.data).where(
        CaseEvent.case_id == row.case_id, CaseEvent.trigger == SCHRITT_ERFASST, CaseEvent.sequence > row.sequence
    )
    if until is not None:
        stmt = stmt.where(CaseEvent.sequence < until)
    for data in await session.scalars(stmt.order_by(CaseEvent.sequence)):
        nr = data.get("schritt")
        if nr in status and data.get("status"):
            status[nr] = data["status"]
    return status
