"""The request rows of transitions (`transition_requests`): who asked and why (never sent to
Temporal), the Idempotency-Key, and the answer kept for it.

A request with an Idempotency-Key keeps its first answer: the case after the step, or the
workflow's refusal (`StepRefused`); a repeat gets it again and changes nothing. The request id
is the Temporal update id, so a repeat of a request whose answer was lost joins the same update.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.schemas.cases import CaseCreate, TransitionCreate
from api.usecases.actors import User
from persistence import models as m
from persistence.db import Database
from persistence.prepared import Prepared
from statemachines.refusals import DomainError, Refusal, invalid
from statemachines.spec import START_TRIGGER

_requests = m.TransitionRequest.__table__
log = logging.getLogger("fahrplan.api")
REQUEST_COLUMNS = (
    "request_id",
    "case_id",
    "actor",
    "role",
    "trigger",
    "comment",
    "idempotency_key",
    "fingerprint",
    "status_code",
    "response",
    "created_at",
)
REMEMBER = Prepared(insert(_requests).values({name: bindparam(name) for name in REQUEST_COLUMNS}))
KEEP_ANSWER = Prepared(
    update(_requests)
    .where(_requests.c.request_id == bindparam("b_request_id"))
    .values(status_code=bindparam("status_code"), response=bindparam("response"), unconfirmed_at=None)
)
UNCONFIRMED = (
    update(_requests)
    .where(_requests.c.request_id == bindparam("b_request_id"))
    .values(unconfirmed_at=bindparam("unconfirmed_at"))
)
KEEP_REFUSAL = (
    update(_requests).where(_requests.c.request_id == bindparam("b_request_id")).values(response=bindparam("response"))
)
APPLIED = m.APPLIED  # status_code of a request record_transition applied (activities/cases.py), and of its kept answer
REFUSED = "refused"  # the kept answer's key for a refusal
# Refusals kept before they were stored by kind (the problem body with its HTTP status): their kind.
_KIND_OF_STATUS = {403: Refusal.FORBIDDEN, 409: Refusal.NOT_ALLOWED, 422: Refusal.INVALID}
_PROBLEM_MEMBERS = ("type", "title", "status", "detail")


class StepRefused(DomainError):
    """The workflow refused the step (or a repeat came too late). This refusal is the answer kept
    for the request's Idempotency-Key: every repeat gets it as it is."""

    @classmethod
    def of(cls, error: DomainError) -> StepRefused:
        return cls(error.kind, error.slug, error.title, error.detail, retry_after=error.retry_after, **error.extra)

    def kept(self) -> dict[str, Any]:
        fields = {"kind": self.kind.value, "slug": self.slug, "title": self.title, "detail": self.detail}
        return {REFUSED: {**fields, "extra": self.extra}}

    @classmethod
    def from_kept(cls, answer: dict[str, Any], status_code: int | None) -> StepRefused:
        if REFUSED in answer:
            r = answer[REFUSED]
            return cls(Refusal(r["kind"]), r["slug"], r["title"], r["detail"], **r["extra"])
        # Kept as a problem body: {"type": "/problems/<slug>", "title", "status", "detail", extra...}.
        extra = {k: v for k, v in answer.items() if k not in _PROBLEM_MEMBERS}
        kind = _KIND_OF_STATUS.get(answer.get("status", status_code), Refusal.NOT_ALLOWED)
        slug = str(answer.get("type", "")).removeprefix("/problems/")
        return cls(kind, slug, answer.get("title", ""), answer.get("detail", ""), **extra)


def fingerprint(case_id: str, body: TransitionCreate) -> str:
    return hashlib.sha256(json.dumps([case_id, body.model_dump(mode="json")], sort_keys=True).encode()).hexdigest()


def earlier(session: Session, user: User, key: str | None) -> m.TransitionRequest | None:
    """The caller's earlier request with this Idempotency-Key, if any."""
    if not key:
        return None
    return session.scalar(
        select(m.TransitionRequest).where(
            m.TransitionRequest.actor == user.user, m.TransitionRequest.idempotency_key == key
        )
    )


def start_fingerprint(case_id: str, body: CaseCreate) -> str:
    """The fingerprint of a case start kept with its Idempotency-Key: case id, process and facts
    (no personal data: a repeat's person is compared with the stored person row)."""
    start = [START_TRIGGER, case_id, body.process, body.facts]
    if body.rechtlicher_beginn is not None:  # it decides the case's regime (R61)
        start.append(body.rechtlicher_beginn.isoformat())
    return hashlib.sha256(json.dumps(start, sort_keys=True, default=str).encode()).hexdigest()


def same_request(found: m.TransitionRequest | None, digest: str, reused: bool = False) -> None:
    if reused or (found is not None and found.fingerprint != digest):
        raise invalid(
            "idempotency-key-reused",
            "Idempotency-Key wiederverwendet",
            "Dieser Idempotency-Key gehört zu einer anderen Anfrage.",
        )


def kept_answer(found: m.TransitionRequest) -> dict[str, Any]:
    """The first answer to the request: the case after the step (as CasePublic JSON), or its refusal raised."""
    if found.status_code == APPLIED and REFUSED not in found.response:
        return found.response
    raise StepRefused.from_kept(found.response, found.status_code)


async def remember(
    db: Database, case_id: str, body: TransitionCreate, user: User, role: str, key: str | None, digest: str
) -> str:
    """Store who asks and why; the new request id (a concurrent twin's, for the same key)."""
    row = _request_row(case_id, body.trigger, body.comment, user, role, key, digest)
    request_id = row["request_id"]
    try:
        await db.run(lambda session: REMEMBER.execute(session, row))
    except IntegrityError:  # the same key raced in concurrently: join the first request
        found = await db.run(lambda session: earlier(session, user, key), read_only=True)
        if found is None:  # not the key's constraint
            raise
        same_request(found, digest)
        return found.request_id
    return request_id


def remember_in(session: Session, case_id: str, body: TransitionCreate, user: User, role: str, digest: str) -> str:
    """`remember` for a request without Idempotency-Key, inside the caller's transaction (no twin can race it)."""
    row = _request_row(case_id, body.trigger, body.comment, user, role, None, digest)
    REMEMBER.execute(session, row)
    return row["request_id"]


def _request_row(
    case_id: str,
    trigger: str,
    comment: str | None,
    user: User,
    role: str,
    key: str | None,
    digest: str,
    status_code: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    return {
        "request_id": str(uuid.uuid4()),
        "case_id": case_id,
        "actor": user.user,
        "role": role,
        "trigger": trigger,
        "comment": comment,
        "idempotency_key": key,
        "fingerprint": digest,
        "status_code": status_code,
        "response": None,
        "created_at": now or datetime.now(UTC),
    }


def remember_start(session: Session, case_id: str, user: User, role: str, key: str, digest: str, now: datetime) -> None:
    """The request row of a case start with an Idempotency-Key, applied with the start itself."""
    row = _request_row(case_id, START_TRIGGER, None, user, role, key, digest, APPLIED, now)
    REMEMBER.execute(session, row)  # in an async session's run_sync: as session.execute


async def keep(db: Database, request_id: str, answer: dict[str, Any]) -> None:
    params = {"b_request_id": request_id, "status_code": APPLIED, "response": answer}
    await db.run(lambda session: KEEP_ANSWER.execute(session, params))


async def keep_refusal(db: Database, request_id: str, refused: StepRefused) -> None:
    params = {"b_request_id": request_id, "response": refused.kept()}
    await db.run(lambda session: session.execute(KEEP_REFUSAL, params))


async def unconfirmed(db: Database, request_id: str) -> None:
    """Temporal left the request's outcome open (503): worker/catch_up.py looks at it again. A
    database that is down too loses the mark; the client's repeat or `fahrplan reconcile` remain."""
    try:
        params = {"b_request_id": request_id, "unconfirmed_at": datetime.now(UTC)}
        await db.run(lambda session: session.execute(UNCONFIRMED, params))
    except Exception as lost:  # noqa: BLE001 - the 503 goes out either way
        log.warning("request %s: outcome unknown, not marked (%s)", request_id, type(lost).__name__)
