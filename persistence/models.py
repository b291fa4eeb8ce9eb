"""SQLAlchemy 2 models. Personal data lives in `people` and nowhere else;
letters in the outbox are rendered from it and are part of the Jobcenter's file."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on both backends (SQLite would hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Fahrplan stores UTC instants only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON, date: Date}


class Person(Base):
    __tablename__ = "people"

    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    vorname: Mapped[str] = mapped_column(String(100))
    nachname: Mapped[str] = mapped_column(String(100))
    geburtsdatum: Mapped[date | None]
    strasse: Mapped[str | None] = mapped_column(String(200))
    plz: Mapped[str | None] = mapped_column(String(10))
    ort: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    # Added by migration 0011 (R14): the Jobcenter's customer number (persistence/people.py hands
    # out the next one) and the search keys of the names (persistence.people.search_key).
    kundennummer: Mapped[str | None] = mapped_column(String(20))
    vorname_suche: Mapped[str | None] = mapped_column(String(100))
    nachname_suche: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("ux_people_kundennummer", "kundennummer", unique=True),
        Index("ix_people_nachname_suche", "nachname_suche", "vorname_suche"),
        Index("ix_people_vorname_suche", "vorname_suche"),
        Index("ix_people_geburtsdatum", "geburtsdatum"),
    )


class Counter(Base):
    """Named counters (0011): `kundennummer` holds the last Kundennummer handed out."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class StoredPolicy(Base):
    """A policy (R60) cases run with, stored once: `policy_id` is the hash of its content
    (persistence/policies.py). A case keeps the policy it started with; the API reads it
    from here to list what the workflow would allow. `regime` is for a legal regime's name
    beside its values (R61): part of the hash, so the same values under two regimes are two policies."""

    __tablename__ = "policies"

    policy_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    regime: Mapped[str | None] = mapped_column(String(60))
    policy_values: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class Case(Base):
    """Read model of a case, written only by the activity of each transition."""

    __tablename__ = "cases"

    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    process: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[str] = mapped_column(String(60))
    person_id: Mapped[str | None] = mapped_column(ForeignKey("people.person_id", ondelete="SET NULL"))
    facts: Mapped[dict[str, Any]]
    deadlines: Mapped[dict[str, Any]]  # {"items": [DeadlineInfo as JSON, ...]}
    deadline: Mapped[datetime | None] = mapped_column(index=True)  # earliest pending
    overdue: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer)  # sequence of the last recorded event
    workflow_id: Mapped[str] = mapped_column(String(80), unique=True)
    links: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The policy the case's workflow runs with (0007); None for cases started before it.
    policy_id: Mapped[str | None] = mapped_column(ForeignKey("policies.policy_id"))
    # The legal regime the case runs under now (R61; 0010); None for cases started before it.
    regime: Mapped[str | None] = mapped_column(String(40), index=True)
    # Operator actions (0013, persistence/closure.py): why a case closed outside its process
    # ("terminiert", "abgebrochen", …; None: it did not), and the audit sequence of the workflow's
    # sequence 0 after a reset discarded recorded events (audit sequence = workflow sequence + offset).
    closed_reason: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None]
    sequence_offset: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index("ix_cases_process_state", "process", "state"),
        Index("ix_cases_state_updated", "state", "updated_at", "case_id"),  # lists by state, newest first (0006)
        Index("ix_cases_person", "person_id"),  # a person's cases: Fallakte, search scope (0011)
    )


class CaseEvent(Base):
    """Append-only audit trail; (case_id, sequence) is unique so a retry cannot write twice.

    A keyed hash chain per case (persistence/audit.py); database triggers (migrations 0005,
    0008) refuse every UPDATE and DELETE except setting `comment` to NULL (erasure, Art. 17 DSGVO).
    """

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    sequence: Mapped[int]
    trigger: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(60))
    to_state: Mapped[str] = mapped_column(String(60))
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    comment_digest: Mapped[str | None] = mapped_column(String(64))  # sha256 of the comment: hashed instead of it
    data: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # The key the hash is an HMAC under (0008). The default marks the rows of before 0008 as
    # plain sha256 ("sha256"); the writer always names its key, and verification accepts the
    # marker only for events up to AuditLegacy.max_event_id.
    key_id: Mapped[str] = mapped_column(String(40), server_default="sha256")
    # The regime the step was taken under (R61; 0010), sealed in the hash when set; None before it.
    regime: Mapped[str | None] = mapped_column(String(40))
    # Who wrote it (0015), outside the hash: the Temporal run of record_transition, and the request
    # it applied. A step a lost workflow task wrote is told from a reset run's by the run id.
    run_id: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(36))

    __table_args__ = (UniqueConstraint("case_id", "sequence", name="uq_case_events_case_sequence"),)


class AuditLegacy(Base):
    """One row, written by migration 0008: the events hashed without a key are exactly those up
    to `max_event_id` (NULL: none). Append-only like case_events."""

    __tablename__ = "audit_legacy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    max_event_id: Mapped[int | None]
    events: Mapped[int]
    migrated_at: Mapped[datetime]


APPLIED = 200  # TransitionRequest.status_code once record_transition applied the request


class TransitionRequest(Base):
    """A staff request to fire a trigger: who, why, and the response (Idempotency-Key)."""

    __tablename__ = "transition_requests"

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"))
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(40))
    trigger: Mapped[str] = mapped_column(String(60))
    comment: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # hash of the request body
    status_code: Mapped[int | None]  # 200 once record_transition applied it; else the refusal kept for the key
    response: Mapped[dict[str, Any] | None]  # the first answer, kept only when an Idempotency-Key was sent
    created_at: Mapped[datetime]
    # Since when Temporal left the API without the outcome (a 503); cleared once it is known (0015).
    unconfirmed_at: Mapped[datetime | None] = mapped_column(index=True)

    __table_args__ = (UniqueConstraint("actor", "idempotency_key", name="uq_transition_requests_actor_key"),)


class Notification(Base):
    """Outbox: letters and text blocks rendered from the templates."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id"), index=True)
    sequence: Mapped[int]  # the event that caused it
    template: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(20))  # brief | akte
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="ausstehend")
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("case_id", "sequence", "template", name="uq_notifications_event_template"),)


class Task(Base):
    """The staff inbox."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.case_id"), index=True)
    sequence: Mapped[int | None]  # the event that opened it
    kind: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(300))
    priority: Mapped[int]
    due: Mapped[datetime]
    state: Mapped[str | None] = mapped_column(String(60))  # the case state it belongs to
    status: Mapped[str] = mapped_column(String(20), default="offen", index=True)  # offen | erledigt
    assignee: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by_sequence: Mapped[int | None]
    # Added by migration 0004 (gruppencoaching): Jobturbo precedence (R25), a non-case subject
    # such as "sitzung:42" (R21), and who completed the task by hand.
    vorrang: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    ref: Mapped[str | None] = mapped_column(String(100))
    closed_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        UniqueConstraint("case_id", "sequence", "kind", name="uq_tasks_event_kind"),
        UniqueConstraint("kind", "ref", name="uq_tasks_kind_ref"),
    )


# GET /tasks of one role reads its first page in index order, without sorting the role's open
# tasks (0011, reordered by 0013; bench/people.py): the inbox order, R27 priority, within it Jobturbo
# (vorrang) first (R25).
Index("ix_tasks_inbox", Task.role, Task.status, Task.priority, Task.vorrang.desc(), Task.due, Task.id)


class Erasure(Base):
    """An erasure under Art. 17 DSGVO, itself without personal data: which cases, when, by whom,
    and how many rows were erased per table. Append-only like case_events (migration 0005)."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_ids: Mapped[list[str]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(40))
    counts: Mapped[dict[str, Any]]
    erased_at: Mapped[datetime]
