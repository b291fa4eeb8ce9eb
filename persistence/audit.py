"""The tamper-evident audit trail: a keyed hash chain over each case's events.

Every `case_events` row stores `prev_hash` (the hash of the case's previous event, or
GENESIS for sequence 0), `key_id` and `hash` = HMAC-SHA256 under the key `key_id` over a
canonical JSON of the event's fields (its key id included). The keys live outside the
database (FAHRPLAN_AUDIT_KEYS, runtime/audit_keys.py), so whoever can rewrite the table
cannot compute a valid hash for a changed event. Events chained before migration 0008 keep
their plain sha256 hash and `key_id = UNKEYED`; verification accepts them only up to the
cut-off that migration recorded, and never after a keyed event of the same case.

The comment enters only through `comment_digest`, a column of its own, so erasing a
comment (Art. 17 DSGVO, the one change the database triggers allow) keeps the chain intact.
Chains are per case: writers of different cases never wait for each other.
The keys travel with the Database (`Database(url, audit_keys=...)` puts them into every
session's `info`), so the writers (`append_event` in record_transition and in the API's
case start) need no extra argument. Verification: persistence/audit_verify.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from persistence import models as m
from persistence.db import AUDIT_KEYS_INFO, as_utc
from persistence.prepared import Prepared

GENESIS = "0" * 64
UNKEYED = "sha256"  # key_id of the events hashed without a key, before migration 0008
KEY_ID_LENGTH = 40
HASHED = (
    "case_id",
    "sequence",
    "trigger",
    "from_state",
    "to_state",
    "actor",
    "role",
    "comment_digest",
    "data",
    "occurred_at",
)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def comment_digest(comment: str | None) -> str | None:
    return None if comment is None else _sha256(comment)


def instant(value: datetime) -> str:
    """The canonical form of an instant: UTC, ISO 8601, always with microseconds."""
    return as_utc(value).isoformat(timespec="microseconds")


def canonical(row: Mapping[str, Any], prev_hash: str, key_id: str | None = None) -> str:
    """The canonical JSON (sorted keys, no spaces, UTF-8) of the hashed fields; a keyed hash
    covers its key id too, so an event cannot be passed off under another key."""
    fields = {name: row[name] for name in HASHED} | {"occurred_at": instant(row["occurred_at"]), "prev_hash": prev_hash}
    if key_id is not None:
        fields["key_id"] = key_id
    if row.get("regime") is not None:  # events since migration 0010 seal their regime (R61) too
        fields["regime"] = row["regime"]
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def unkeyed_hash(row: Mapping[str, Any], prev_hash: str) -> str:
    """The hash of events chained before migration 0008 (and of its 0005 backfill): plain sha256."""
    return _sha256(canonical(row, prev_hash))


class UnknownAuditKey(LookupError):
    def __init__(self, key_id: str):
        super().__init__(key_id)
        self.key_id = key_id


class ChainKeys:
    """The audit chain's keys: every key that may still be needed to verify, and the active one
    new events are hashed with (rotation as for the payload keys in runtime/codec.py)."""

    def __init__(self, keys: Mapping[str, bytes], active: str):
        if active not in keys:
            raise ValueError(f"audit key id {active!r} is not among the audit keys ({', '.join(sorted(keys))})")
        for kid, key in keys.items():
            if not kid or len(kid) > KEY_ID_LENGTH or kid == UNKEYED:
                raise ValueError(f"audit key id {kid!r}: 1 to {KEY_ID_LENGTH} characters, not {UNKEYED!r}")
            if len(key) < 32:
                raise ValueError(f"audit key {kid!r} must have at least 32 bytes")
        self._keys, self.active = dict(keys), active

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._keys)

    def seal(self, row: Mapping[str, Any], prev_hash: str, key_id: str) -> str:
        """HMAC-SHA256 (hex) of the event under `key_id`; UnknownAuditKey if it is not configured."""
        return self.mac(canonical(row, prev_hash, key_id), key_id)

    def mac(self, message: str, key_id: str) -> str:
        """HMAC-SHA256 (hex) of a canonical text under `key_id` (events, and the Vermerke's chain)."""
        key = self._keys.get(key_id)
        if key is None:
            raise UnknownAuditKey(key_id)
        return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:  # never the keys themselves
        return f"ChainKeys(active={self.active!r}, key_ids={self.key_ids!r})"


def event_hash(row: Mapping[str, Any], prev_hash: str, keys: ChainKeys) -> str:
    """The hash the event must carry, by its own `key_id` (UNKEYED: the old sha256)."""
    key_id = row.get("key_id") or UNKEYED
    return unkeyed_hash(row, prev_hash) if key_id == UNKEYED else keys.seal(row, prev_hash, key_id)


def event_row(
    *,
    keys: ChainKeys,
    case_id: str,
    sequence: int,
    trigger: str,
    from_state: str | None,
    to_state: str,
    actor: str,
    role: str,
    comment: str | None,
    data: dict[str, Any],
    occurred_at: datetime,
    prev_hash: str,
    regime: str | None = None,
    run_id: str | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """Every column of a new event, its keyed hash included (run and request are not hashed)."""
    row = {
        "case_id": case_id,
        "sequence": sequence,
        "trigger": trigger,
        "from_state": from_state,
        "to_state": to_state,
        "actor": actor,
        "role": role,
        "comment": comment,
        "comment_digest": comment_digest(comment),
        "data": data,
        "occurred_at": as_utc(occurred_at),
        "prev_hash": prev_hash,
        "key_id": keys.active,
        "regime": regime,
    }
    row["hash"] = keys.seal(row, prev_hash, keys.active)
    row["run_id"], row["request_id"] = run_id, request_id
    return row


class Head(NamedTuple):
    sequence: int
    hash: str


_events = m.CaseEvent.__table__
# Built once and prepared (persistence/prepared.py): both run on every transition (activities/cases.py).
HEAD = Prepared(
    select(_events.c.sequence, _events.c.hash)
    .where(_events.c.case_id == bindparam("case_id"))
    .order_by(_events.c.sequence.desc())
    .limit(1)
)
HASH_AT = select(_events.c.hash).where(
    _events.c.case_id == bindparam("case_id"), _events.c.sequence == bindparam("sequence")
)
EVENT_COLUMNS = (*HASHED, "comment", "prev_hash", "key_id", "regime", "hash", "run_id", "request_id")  # event_row's
APPEND = Prepared(insert(_events).values({name: bindparam(name) for name in EVENT_COLUMNS}))


def head(session: Session, case_id: str) -> Head | None:
    """The case's last event: one indexed query on (case_id, sequence). Sync code: it runs inside
    `Database.run` (async callers: `await session.run_sync(head, case_id)`)."""
    found = HEAD.first(session, {"case_id": case_id})
    return Head(found.sequence, found.hash) if found else None


def hash_at(session: Session, case_id: str, sequence: int) -> str | None:
    """The hash of the case's event `sequence` (a retried record_transition reports it again)."""
    return session.execute(HASH_AT, {"case_id": case_id, "sequence": sequence}).scalar()


def session_keys(session: Session) -> ChainKeys:
    keys = session.info.get(AUDIT_KEYS_INFO)
    if keys is None:
        raise RuntimeError(
            "no audit chain key: open the database with Database(url, audit_keys=...) "
            "(entry points: persistence.open.open_database(settings))"
        )
    return keys


def append_event(session: Session, *, prev: Head | None, **fields: Any) -> str:
    """Insert the next event of a case after `prev` (None: the first); returns its hash.
    The unique (case_id, sequence) turns a concurrent duplicate into an IntegrityError."""
    row = event_row(keys=session_keys(session), prev_hash=prev.hash if prev else GENESIS, **fields)
    APPEND.execute(session, row)
    return row["hash"]
