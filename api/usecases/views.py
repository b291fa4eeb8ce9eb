"""Rows and declarations as the bodies readers get (api/schemas/), German labels included."""

from __future__ import annotations

from functools import cache

import pydantic_core
from pydantic import BaseModel

from api.schemas import cases as s
from api.schemas import processes as ps
from api.schemas.common import Named
from api.usecases.staff_fields import STAFF_FIELDS
from persistence import models as m
from statemachines import CaseMachine, Process, get_process
from statemachines.spec import REGIME_LABEL, REGIME_TRIGGER, RESET_LABEL, RESET_TRIGGER, START_LABEL, SYSTEM


def named_state(process: Process, state: str | None) -> Named | None:
    if state is None:
        return None
    return Named(name=state, label=process.state(state).label)


def named_trigger(process: Process, trigger: str) -> Named:
    if process.has_trigger(trigger):
        label = process.trigger(trigger).label
    else:
        label = {RESET_TRIGGER: RESET_LABEL, REGIME_TRIGGER: REGIME_LABEL}.get(trigger, START_LABEL)
    return Named(name=trigger, label=label)


def case_summary(case: m.Case) -> s.CaseSummary:
    """From a case row, or a result row with the summary's columns under the same names."""
    return s.CaseSummary(**_summary_fields(case))


def _summary_fields(case: m.Case) -> dict:
    """CaseSummary's fields, also the first of CasePublic's."""
    return {
        "case_id": case.case_id,
        "process": case.process,
        "state": named_state(get_process(case.process), case.state),
        "overdue": case.overdue,
        "deadline": case.deadline,
        "final": case.final,
        "version": case.version,
        "updated_at": case.updated_at,
    }


@cache
def _state_json(process: str, state: str) -> dict[str, str]:
    """A state as s.Named in JSON (shared between pages: only ever serialized, never changed)."""
    return {"name": state, "label": get_process(process).state(state).label}


def case_page_json(rows, total: int, limit: int, offset: int) -> bytes:
    """The JSON of s.Page[s.CaseSummary] without building models: the bytes FastAPI writes for the
    model (tests/test_case_list.py compares). Each row holds the summary's columns in CaseSummary's
    order, then anything else (unpacked by position: three times faster than Row attributes)."""
    items = [
        {
            "case_id": case_id,
            "process": process,
            "state": _state_json(process, state),
            "overdue": overdue,
            "deadline": deadline,
            "final": final,
            "version": version,
            "updated_at": updated_at,
        }
        for case_id, process, state, overdue, deadline, final, version, updated_at, *_ in rows
    ]
    return pydantic_core.to_json({"items": items, "total": total, "limit": limit, "offset": offset})


def person_public(person: m.Person | None) -> s.PersonPublic | None:
    if person is None:
        return None
    anschrift = None
    if person.strasse and person.plz and person.ort:
        anschrift = s.AnschriftCreate(strasse=person.strasse, plz=person.plz, ort=person.ort)
    return s.PersonPublic(
        person_id=person.person_id,
        kundennummer=person.kundennummer,
        vorname=person.vorname,
        nachname=person.nachname,
        geburtsdatum=person.geburtsdatum,
        anschrift=anschrift,
    )


def deadline_label(process: Process, state: str, trigger: str, stored: str) -> str:
    """A deadline's label as its process declares it now (the current state's first), else as stored."""
    try:
        states = [process.state(state), *process.states]
    except KeyError:
        states = list(process.states)
    for st in states:
        for d in st.deadlines:
            if d.trigger == trigger:
                return d.label
    return stored


def deadlines_public(process: Process, case: m.Case) -> list[s.DeadlinePublic]:
    items = case.deadlines.get("items", [])
    return [
        s.DeadlinePublic.model_validate(d | {"label": deadline_label(process, case.state, d["trigger"], d["label"])})
        for d in items
    ]


_OPTIONS: dict[tuple[int, str], tuple[Process, s.TriggerOption]] = {}  # processes live as long as the app


def trigger_option(process: Process, trigger: str) -> s.TriggerOption:
    """A trigger with its German label and the JSON schema of the data it takes (built once)."""
    found = _OPTIONS.get((id(process), trigger))
    if found is None:
        t = process.trigger(trigger)
        option = s.TriggerOption(name=trigger, label=t.label, payload_schema=_schema(t.api_payload or t.payload))
        found = _OPTIONS[(id(process), trigger)] = (process, option)  # the process kept: its id stays its own
    return found[1]


def case_public(
    case: m.Case, person: m.Person | None, machine: CaseMachine, roles, ui_url: str, tasks=()
) -> s.CasePublic:
    """The case as its readers see it; `tasks` are its open tasks (TaskPublic)."""
    process = machine.process
    facts = process.facts.model_validate(case.facts)
    allowed = [] if case.final else machine.allowed(case.state, facts, roles)
    return s.CasePublic(
        **_summary_fields(case),
        process_label=process.label,
        facts={**case.facts, **(process.derived(case.state, facts) if process.derived else {})},  # e.g. rfb_pflicht
        allowed_triggers=[trigger_option(process, t) for t in allowed],
        deadlines=deadlines_public(process, case),
        offene_aufgaben=list(tasks),
        workflow_id=case.workflow_id,
        temporal_ui_url=ui_url,
        links=case.links,
        person=person_public(person),
        created_at=case.created_at,
        regime=case.regime,
    )


def event_public(process: Process, e: m.CaseEvent) -> s.EventPublic:
    return s.EventPublic(
        sequence=e.sequence,
        trigger=named_trigger(process, e.trigger),
        from_state=named_state(process, e.from_state),
        to_state=named_state(process, e.to_state),
        actor=e.actor,
        role=e.role,
        comment=e.comment,
        data=e.data,
        occurred_at=e.occurred_at,
        regime=e.regime,
    )


STAFF_ACTOR = "Jobcenter"  # who a participant sees acting instead of a staff id


def event_for_participant(event: s.EventPublic, user: str) -> s.EventPublic:
    """A participant sees what happened in their case, never internal notes or staff ids: a
    comment only on their own steps, staff shown as the Jobcenter, staff-id fields left out."""
    own = event.actor == user
    return event.model_copy(
        update={
            "actor": event.actor if own or event.actor == SYSTEM else STAFF_ACTOR,
            "comment": event.comment if own else None,
            "data": {k: v for k, v in event.data.items() if k not in STAFF_FIELDS},
        }
    )


def _schema(model: type[BaseModel] | None) -> dict | None:
    return model.model_json_schema() if model else None


def process_public(p: Process) -> ps.ProcessPublic:
    return ps.ProcessPublic(
        name=p.name,
        label=p.label,
        initial=p.initial,
        roles=sorted(p.roles - {SYSTEM}),
        states=[
            ps.StatePublic(
                name=st.name,
                label=st.label,
                final=st.final,
                initial=st.name == p.initial,
                deadlines=[
                    ps.DeadlineDecl(
                        trigger=d.trigger, label=d.label, policy_setting=d.delay, marks_overdue=d.marks_overdue
                    )
                    for d in st.deadlines
                ],
            )
            for st in p.states
        ],
        triggers=[
            ps.TriggerPublic(
                name=t.name,
                label=t.label,
                roles=sorted(t.roles),
                timer=t.timer_only,
                payload_schema=_schema(t.api_payload or t.payload),
            )
            for t in p.triggers
        ],
        transitions=[
            ps.TransitionDecl(
                trigger=t.trigger,
                source=list(t.source),
                dest=t.dest,
                guards=[g.label for g in t.guards] + [f"nicht: {g.label}" for g in t.unless],
                letters=list(t.letters),
                tasks=[task.kind for task in t.tasks],
            )
            for t in p.transitions
        ],
        start_schema=p.start.model_json_schema(),
    )
