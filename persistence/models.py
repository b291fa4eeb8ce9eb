"""SQLAlchemy 2 models. Personal data lives in `people` and nowhere else;
letters in the outbox are rendered from it and are part of the Jobcenter's file."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, TypeDecorator, UniqueConstraint, false
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
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, date: Date}


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

    __table_args__ = (
        Index("ix_cases_process_state", "process", "state"),
        Index("ix_cases_state_updated", "state", "updated_at", "case_id"),  # lists by state, newest first (0006)
    )


class CaseEvent(Base):
    """Append-only audit trail; (case_id, sequence) is unique so a retry cannot write twice.

    A hash chain per case (persistence/audit.py); database triggers (migration 0005) refuse
    every UPDATE and DELETE except setting `comment` to NULL (erasure, Art. 17 DSGVO).
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

    __table_args__ = (UniqueConstraint("case_id", "sequence", name="uq_case_events_case_sequence"),)


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
