"""Inputs and outputs of the case workflows and their activities.

One input model and one output model per message, so fields can be added later
without breaking running workflows. Nothing here may carry personal data: the
workflow knows a case id, a pseudonymous person id and non-personal facts.
Who fired a trigger and their free-text comment stay in the database
(`transition_requests`); Temporal only sees the request id and the role.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from statemachines.engine import PendingDeadline
from statemachines.policy import Policy
from statemachines.regimes import Regime


class DeadlineInfo(BaseModel):
    trigger: str
    label: str
    due: datetime
    marks_overdue: bool = False

    @classmethod
    def of(cls, pending: PendingDeadline) -> DeadlineInfo:
        d = pending.deadline
        return cls(trigger=d.trigger, label=d.label, due=pending.due, marks_overdue=d.marks_overdue)


class CaseState(BaseModel):
    """What a case workflow holds between transitions. A transition builds the next one and
    commits it in one assignment once its activity succeeded; the snapshot is read from it and
    continue-as-new carries it into the next run (`CaseInput.continued`)."""

    model_config = ConfigDict(frozen=True)

    state: str
    facts: dict[str, Any]  # as JSON, as recorded; the typed facts are kept beside (`typed_facts`)
    sequence: int = 0  # of the last recorded event; 0 is the start of the case
    entered_at: datetime  # when the current state was entered: its deadlines count from here
    fired: tuple[str, ...] = ()  # deadlines of the current state that fired without leaving it (sorted)
    overdue: bool = False
    links: dict[str, str] = Field(default_factory=dict)  # process -> case id of a linked case
    # Every child this case opened that reports its end, per process: `links` names only the latest,
    # and a plan may have two Minderungen heard at once (R65), each of whose ends counts.
    children: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    updated_at: datetime | None = None  # workflow time of the last transition; never drives a decision
    # The keyed hash of the event at `sequence` (RecordResult.hash): the anchor of the audit chain
    # that `fahrplan audit verify` compares (None: recorded before the activity returned it).
    head_hash: str | None = None
    _typed: BaseModel | None = PrivateAttr(default=None)

    @classmethod
    def of(cls, facts: BaseModel, **fields: Any) -> CaseState:
        """The state with these (typed) facts, stored as JSON and kept typed for the machine."""
        case = cls(facts=facts.model_dump(mode="json"), **fields)
        case._typed = facts
        return case

    def typed_facts(self, model: type[BaseModel]) -> BaseModel:
        """The facts as the process's model (validated once, e.g. after continue-as-new)."""
        if self._typed is None:
            self._typed = model.model_validate(self.facts)
        return self._typed


# Fields that CaseInput carried flat before `continued` (and that old histories still carry).
_FLAT_STATE = ("state", "sequence", "fired", "overdue")


class CaseInput(BaseModel):
    """Start (or continue-as-new) input of every case workflow."""

    case_id: str
    process: str
    person_id: str | None = None
    facts: dict[str, Any] = Field(default_factory=dict)  # the start facts (a fresh start)
    policy: Policy = Field(default_factory=Policy)
    # The legal regime the case runs under (R61), whole: its values are in `policy`. None: a case
    # started before regimes existed, which runs under the 2023 law (statemachines/regimes.LEGACY).
    regime: Regime | None = None
    links: dict[str, str] = Field(default_factory=dict)  # a fresh start's links (process -> case id)
    parent_workflow_id: str | None = None  # set when this case reports its end to a parent
    entered_at: datetime | None = None  # a fresh start: when the case was opened (None: the workflow's start)
    continued: CaseState | None = None  # a continued run: the state the run before ended with
    # PolicyPatch ids a run before this one found unset: the case keeps those rules' old values
    # (also across a regime change) after continue-as-new, where workflow.patched holds again.
    unpatched: list[str] = Field(default_factory=list)
    # The request ids the runs before this one applied: a signed request captured from an earlier
    # run's history is refused in every later run too (the validator's "only once").
    applied_requests: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _lift_flat_state(cls, data: Any) -> Any:
        """Runs continued before `continued` existed carry their state flat (state, facts,
        sequence, entered_at, fired, overdue, links beside the start fields): lift it, so
        running cases and recorded histories keep their meaning."""
        if not isinstance(data, dict) or data.get("state") is None or data.get("continued") is not None:
            return data
        flat = {name: data[name] for name in _FLAT_STATE if name in data}
        rest = {k: v for k, v in data.items() if k not in _FLAT_STATE and k not in ("facts", "links", "entered_at")}
        continued = {**flat, "facts": data.get("facts", {}), "links": data.get("links", {})}
        return {**rest, "continued": {**continued, "entered_at": data.get("entered_at")}}


class TransitionRequest(BaseModel):
    """A transition the API asks for, signed (runtime/signing.py): the validator refuses it
    unsigned or signed for another case, process, trigger, data, role or request id."""

    trigger: str
    data: dict[str, Any] = Field(default_factory=dict)
    role: str
    request_id: str | None = None  # joins actor and comment from transition_requests
    issued_at: str | None = None  # when the API signed it (ISO 8601, UTC); None in old histories
    signature: str | None = None  # "<key id>:<HMAC-SHA256 hex>"; None in old histories


class RegimeWechsel(BaseModel):
    """Update `regime_wechseln` (R62): move a running case to another regime, by the rule the
    operator command applies: "wechsel" (the case continues under `regime` with `policy`) or
    "beenden" (a Schlichtung ends as durch_rechtsaenderung_beendet under its old regime)."""

    regime: Regime
    policy: Policy
    regel: str = Field(pattern=r"^(wechsel|beenden)$")
    stichtag: date  # the date the law changes (the command's --on)
    request_id: str | None = None
    issued_at: str | None = None  # when the command signed it (runtime/signing.py, like a transition)
    signature: str | None = None

    def signed_content(self) -> dict[str, Any]:
        """What the signature covers: everything the workflow acts on, as it travels (JSON)."""
        return self.model_dump(mode="json", exclude={"issued_at", "signature"})


class CaseSnapshot(BaseModel):
    """The query result and the update result: what the workflow holds now."""

    case_id: str
    process: str
    state: str
    sequence: int
    facts: dict[str, Any]
    deadlines: list[DeadlineInfo] = Field(default_factory=list)
    overdue: bool = False
    final: bool = False
    links: dict[str, str] = Field(default_factory=dict)
    updated_at: datetime | None = None  # when the last transition happened (workflow time)
    regime: str | None = None  # the legal regime the case runs under now (R61)
    # The hash of the event at `sequence` (RecordResult.hash): the anchor `fahrplan audit verify`
    # compares with the stored chain (README, "Anchors in the workflows"); None for a case whose
    # last event was recorded before the workflows kept it.
    head_hash: str | None = None


class TaskInfo(BaseModel):
    kind: str
    role: str
    title: str
    priority: int
    due: datetime
    vorrang: bool = False  # goes first within its R27 priority (R25 Jobturbo)


class TransitionRecord(BaseModel):
    """Input of `record_transition`: one audit event and everything it causes.

    sequence 0 is the start of the case (trigger START_TRIGGER, source None): recording it
    creates the read-model row if the API has not already, with the case's `policy` (only the
    start carries it: a case opened by another case has no row the API could have written).
    """

    case_id: str
    process: str
    person_id: str | None = None
    sequence: int
    trigger: str
    source: str | None
    dest: str
    entered: bool  # False for internal transitions: tasks of the state stay open
    role: str
    request_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    facts: dict[str, Any]
    occurred_at: datetime
    deadlines: list[DeadlineInfo] = Field(default_factory=list)
    overdue: bool = False
    final: bool = False
    letters: list[str] = Field(default_factory=list)
    tasks: list[TaskInfo] = Field(default_factory=list)
    closes: list[str] = Field(default_factory=list)  # kinds of open tasks an internal step resolves
    links: dict[str, str] = Field(default_factory=dict)
    policy: Policy | None = None  # the start record, and a change of regime (the case's new policy)
    regime: str | None = None  # the regime the step was taken under (R61); None in older records
    # Sent by a workflow that records with a local activity (workflows/effects.py): the trail's
    # event under this number may be this very decision, written by a workflow task the server
    # lost; the activity then adopts it (activities/lost_tasks.py) instead of marking a reset.
    adopt: bool = False


class LostStep(BaseModel):
    """A step that a lost workflow task of this run recorded and the workflow has not taken
    (activities/lost_tasks.py): the workflow takes it as recorded before what woke it."""

    trigger: str
    to_state: str
    role: str
    request_id: str
    data: dict[str, Any] = Field(default_factory=dict)
    occurred_at: datetime
    links: dict[str, str] = Field(default_factory=dict)  # the read model's after it: the children it opened


class LostStepQuery(BaseModel):
    """Input of `find_lost_step`: the workflow's next event number, as the `catch_up` signal asks."""

    case_id: str
    sequence: int


class RecordResult(BaseModel):
    written: bool  # False when the event was already there (a retried activity)
    # The event's keyed hash (persistence/audit.py): the head of the case's audit chain, for the
    # workflow to keep as the anchor `fahrplan audit verify` compares with. None in results
    # recorded before it existed (old histories deserialize unchanged).
    hash: str | None = None
    # Set when the event was adopted (TransitionRecord.adopt): the time it was recorded at, which
    # the workflow decides the step with again, so that its state is the trail's to the second.
    adopted_at: datetime | None = None
    # With adopted_at: the read model's links after the adopted event, which hold the ids of the
    # children the lost task opened (None: the event is not the trail's last, or an older result).
    links: dict[str, str] | None = None
    # Set instead (nothing written) when another step of this run is under the number: the workflow
    # takes it first, then records its own decision again (workflows/host.py).
    lost: LostStep | None = None


class PrepareRequest(BaseModel):
    """Input of a trigger's `prepare` activity: it computes the payload the step needs."""

    case_id: str
    process: str
    trigger: str
    sequence: int  # the sequence the step will get: an idempotency key for the activity
    facts: dict[str, Any]
    data: dict[str, Any] = Field(default_factory=dict)
    now: datetime
    policy: Policy | None = None  # the case's policy (e.g. an R33 threshold the booking respects)


class PrepareResult(BaseModel):
    data: dict[str, Any]
