"""Erasure under Art. 17 DSGVO: a person's data across all of their cases, in one transaction.

Retention: only when every case of the person is final (a case still being worked needs its
data). What is erased, table by table (every text column of persistence/ was checked):
  people               the row (name, date of birth, address); cases keep their pseudonymous ids
  cases                person_id set NULL; facts, deadlines, links are non-personal (they go to Temporal)
  case_events          comment set NULL (the only change the triggers allow; comment_digest keeps
                       the hash chain intact); trigger, states, actor/role (staff), data stay
  transition_requests  comment and the stored response (a case view with the person) set NULL
  notifications        subject and body replaced by MARKER; template, channel, status stay
  plan_versions        deleted (the plan text is Sozialdaten; events keep draft id and hash)
  vermerke             text set NULL (the only change the triggers allow; text_digest keeps their
                       hash chain intact); Textbaustein, time, actor/role stay
  tasks                the title of a task made by hand (POST /tasks: free text, sequence NULL)
                       replaced by MARKER; workflow tasks carry declared titles and stay
  bookings, sessions, events of the calendar: ids, staff and declared texts only, kept
The erasure itself is recorded in `erasures` (case ids, counts, time, actor), without personal data.
A case an erasure already covers is not erased again (AlreadyErased: no second record).

SQLite keeps what it overwrote in the write-ahead log until a checkpoint, and in free pages
unless secure_delete is on (persistence/db.py turns it on for every connection): after the
commit the WAL is checkpointed and truncated, so the erased values are in neither file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from persistence import models as m
from persistence.db import Database
from persistence.kooperationsplan import PlanVersion
from persistence.vermerke import Vermerk

MARKER = "[gelöscht nach Art. 17 DSGVO]"


class CaseUnknown(LookupError):
    pass


class AlreadyErased(Exception):
    """The case was covered by an earlier erasure: there is nothing left to erase."""

    def __init__(self, erasure_id: int, erased_at: datetime):
        super().__init__(str(erasure_id))
        self.erasure_id, self.erased_at = erasure_id, erased_at


class CasesStillOpen(Exception):
    """Retention: some case of the person is still being worked."""

    def __init__(self, case_ids: list[str]):
        super().__init__(", ".join(case_ids))
        self.case_ids = case_ids


@dataclass(frozen=True)
class Erased:
    erasure_id: int
    case_ids: list[str]
    counts: dict[str, int]
    erased_at: datetime
    actor: str


async def erase(db: Database, case_id: str, actor: str, role: str, now: datetime | None = None) -> Erased:
    """Erase the personal data of the person behind `case_id`, in all of their cases."""
    now = now or datetime.now(UTC)
    async with db.unit_of_work() as session:
        # Locked: a second erasure of the person waits here, then finds the first one's record.
        case = await session.get(m.Case, case_id, with_for_update=True)
        if case is None:
            raise CaseUnknown(case_id)
        if (earlier := await covering_erasure(session, case_id)) is not None:
            raise AlreadyErased(earlier.id, earlier.erased_at)
        person_id = case.person_id
        scope = m.Case.person_id == person_id if person_id else m.Case.case_id == case_id
        stmt = select(m.Case.case_id, m.Case.final).where(scope).order_by(m.Case.case_id)
        cases = (await session.execute(stmt)).all()
        still_open = [c.case_id for c in cases if not c.final]
        if still_open:
            raise CasesStillOpen(still_open)
        ids = [c.case_id for c in cases]

        async def rows(stmt) -> int:
            return (await session.execute(stmt)).rowcount or 0

        counts = {
            "faelle": await rows(update(m.Case).where(m.Case.case_id.in_(ids)).values(person_id=None)),
            "personen": await rows(delete(m.Person).where(m.Person.person_id == person_id)) if person_id else 0,
            "kommentare": await rows(
                update(m.CaseEvent)
                .where(m.CaseEvent.case_id.in_(ids), m.CaseEvent.comment.is_not(None))
                .values(comment=None)
            ),
            "anfragen": await rows(
                update(m.TransitionRequest)
                .where(
                    m.TransitionRequest.case_id.in_(ids),
                    or_(m.TransitionRequest.comment.is_not(None), m.TransitionRequest.response.is_not(None)),
                )
                .values(comment=None, response=null())
            ),
            "schreiben": await rows(
                update(m.Notification)
                .where(m.Notification.case_id.in_(ids))
                .where(or_(m.Notification.body != MARKER, m.Notification.subject != MARKER))
                .values(subject=MARKER, body=MARKER)
            ),
            "planversionen": await rows(delete(PlanVersion).where(PlanVersion.case_id.in_(ids))),
            "vermerke": await rows(
                update(Vermerk).where(Vermerk.case_id.in_(ids), Vermerk.text.is_not(None)).values(text=None)
            ),
            "aufgaben": await rows(
                update(m.Task)
                .where(m.Task.case_id.in_(ids), m.Task.sequence.is_(None), m.Task.title != MARKER)
                .values(title=MARKER)
            ),
        }
        record = m.Erasure(case_ids=ids, actor=actor, role=role, counts=counts, erased_at=now)
        session.add(record)
        await session.flush()
        done = Erased(record.id, ids, counts, now, actor)
    await db.checkpoint()  # the old pages out of SQLite's write-ahead log (a no-op on PostgreSQL)
    return done


async def covering_erasure(session: AsyncSession, case_id: str) -> m.Erasure | None:
    """The erasure that covered the case, if any (erasures are few: one per person at most)."""
    for erasure in await session.scalars(select(m.Erasure).order_by(m.Erasure.id)):
        if case_id in (erasure.case_ids or ()):
            return erasure
    return None
