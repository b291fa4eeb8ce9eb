"""R19: appointments lie in the future, and every time in a payload names its offset.

A time without offset is refused (not read as Europe/Berlin): a letter must not show a time the
caller did not mean, and the tasks' due dates (R18) compare instants. The same rule holds for every
datetime field of a trigger's payload; `termin` fields must also lie after now.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from statemachines.refusals import DomainError, invalid_payload

APPOINTMENT_FIELDS = frozenset({"termin"})


def check(payload: BaseModel | None, now: datetime) -> None:
    """Raises DomainError (422) for a naive time or an appointment that is not in the future."""
    if payload is None:
        return
    for name in type(payload).model_fields:
        value = getattr(payload, name)
        if not isinstance(value, datetime):
            continue
        if value.tzinfo is None or value.utcoffset() is None:
            raise _refused(name, "timezone_aware", "Zeitpunkt mit Zeitzone erwartet (z. B. +01:00)")
        if name in APPOINTMENT_FIELDS and value <= now:
            raise _refused(name, "datetime_future", "Zeitpunkt muss in der Zukunft liegen")


def _refused(field: str, kind: str, msg: str) -> DomainError:
    return invalid_payload(f"{field}: {msg}.", errors=[{"loc": [field], "msg": msg, "type": kind}])
