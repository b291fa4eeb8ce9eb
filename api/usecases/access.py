"""Who may read a case (README "Role matrix"): one rule for every read.

Staff read the cases of the processes they work on (statemachines.roles.reader_roles:
openers, trigger roles, task roles, plus the team lead); a participant reads only the
case their token carries. A case the caller may not read is refused as UNKNOWN like an
unknown one, so its existence is not revealed.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false

from api.usecases.actors import User
from persistence import models as m
from statemachines.refusals import role_not_allowed, unknown
from statemachines.registry import PROCESSES
from statemachines.roles import Permission, readable_processes, reader_roles


def processes(user: User) -> frozenset[str]:
    """The processes whose cases a staff user may read (none for participants)."""
    return readable_processes(user.roles) if user.staff else frozenset()


def can_read(user: User, case: m.Case) -> bool:
    if not user.staff:
        return user.case_id is not None and case.case_id == user.case_id
    return case.process in processes(user)


def scope(user: User, case_id: ColumnElement, process: ColumnElement) -> ColumnElement[bool]:
    """A WHERE clause keeping only rows of readable cases (for list endpoints)."""
    if not user.staff:
        return case_id == user.case_id if user.case_id else false()
    readable = sorted(processes(user))
    return process.in_(readable) if readable else false()


def scope_key(user: User) -> tuple:
    """Everything `scope` depends on: users with equal keys get the same WHERE clause, so a
    statement built with it once serves them all (staff: their roles; a participant: the case)."""
    return (user.roles, None) if user.staff else (user.roles, user.case_id)


def case_unknown(case_id: str):
    return unknown(f"Fall {case_id} ist unbekannt.")


async def readable_case(session, user: User, case_id: str) -> m.Case:
    """The case, or UNKNOWN when it is unknown or the caller may not read it."""
    case = await session.get(m.Case, case_id)
    if case is None or not can_read(user, case):
        raise case_unknown(case_id)
    return case


async def require_case(db, user: User, case_id: str) -> m.Case:
    """`readable_case` in its own read-only unit of work."""
    async with db.unit_of_work(read_only=True) as session:
        return await readable_case(session, user, case_id)


def require_process(user: User, process: str, what: str) -> None:
    """FORBIDDEN unless the caller works on `process` (for data beside the cases, e.g. event calendars)."""
    if process not in processes(user):
        allowed = sorted(reader_roles(PROCESSES[process]))
        raise role_not_allowed(f"{what} sehen nur: " + ", ".join(allowed) + ".", roles=allowed)


def holds(user: User, permission: Permission) -> bool:
    return bool(user.roles & permission.roles)
