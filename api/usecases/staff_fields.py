"""Fields naming a member of staff accept only known staff ids (issue 13, item 6).

The declarations already refuse anything that does not look like a staff id (statemachines
`StaffId`); here the API refuses an id the staff directory (persistence/staff.py) does not know,
before anything is written or sent to Temporal: free text may name a citizen, and these values
reach the audit trail and the Temporal history, where erasure cannot follow them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from persistence.db import Database
from persistence.staff import known_staff
from statemachines.refusals import invalid_payload

# Payload and fact fields holding a staff id (a list of them for beteiligte_fachkraefte).
STAFF_FIELDS = frozenset({"fachkraft", "schlichtungsperson", "beteiligte_fachkraefte"})


def names_staff(values: Mapping[str, Any]) -> bool:
    """Whether `values` hold a staff-id field at all (then `require_known_staff` reads the directory)."""
    return not STAFF_FIELDS.isdisjoint(values)


def _named(values: Mapping[str, Any], where: str) -> list[tuple[list[Any], str]]:
    found: list[tuple[list[Any], str]] = []
    for name in sorted(STAFF_FIELDS & set(values)):
        value = values[name]
        if isinstance(value, str):
            found.append(([where, name], value))
        elif isinstance(value, list):
            found += [([where, name, i], v) for i, v in enumerate(value) if isinstance(v, str)]
    return found


async def require_known_staff(db: Database, values: Mapping[str, Any], where: str) -> None:
    """Refuse (422, German) staff-id fields of `values` (the request's `data` or `facts`) that name
    no known member of staff."""
    named = _named(values, where)
    if not named:
        return
    async with db.unit_of_work(read_only=True) as session:
        known = await known_staff(session, [value for _, value in named])
    unknown = [
        {"loc": loc, "msg": f"{value} ist keine bekannte Mitarbeiterkennung", "type": "unknown_staff_id"}
        for loc, value in named
        if value not in known
    ]
    if unknown:
        raise invalid_payload(
            "Mitarbeiterfelder nehmen nur Kennungen bekannter Mitarbeitender (GET /staff), keinen freien Text.",
            errors=unknown,
        )
