"""Training content: every state and trigger means something in German and names its rules;
the training view model is derived from the declarations (statemachines/training.py)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from notifications.render import TEMPLATES
from statemachines.policy import Policy
from statemachines.registry import PROCESSES
from statemachines.roles import LABELS as ROLE_LABELS
from statemachines.rules import RULES, cited
from statemachines.spec import SYSTEM
from statemachines.training import training_view

ALL = [PROCESSES[name] for name in sorted(PROCESSES)]
by_name = pytest.mark.parametrize("process", ALL, ids=[p.name for p in ALL])

# DOMAIN.md gives no rule for these: the ends by work, withdrawal, rejection or no switch,
# and the withdrawal of a Schlichtung. Everything else cites at least one rule.
NO_RULE_IN_DOMAIN = {
    ("neuantrag", "integriert"),
    ("neuantrag", "beendet"),
    ("neuantrag", "arbeit_aufgenommen"),
    ("neuantrag", "antrag_zurueckgenommen"),
    ("neuantrag", "antrag_abgelehnt"),
    ("rechtskreiswechsel", "kein_wechsel"),
    ("rechtskreiswechsel", "kein_wechsel_erforderlich"),
    ("kooperationsplan", "beendet"),
    ("kooperationsplan", "leistungsbezug_beendet"),
    ("schlichtung", "zurueckgenommen"),
    ("gruppencoaching", "arbeit_aufgenommen"),
}
_UMLAUT_SPELLED_OUT = re.compile(r"\w*(?:ae|oe|ue)\w*", re.IGNORECASE)
_ALLOWED_SPELLINGS = {"neue", "neuem", "neuen", "neuer", "neues", "erneut", "zuerst", "aktuell", "eventuell"}


def test_name_every_rule_the_declarations_cite():
    for process in ALL:
        labels = [g.label for t in process.transitions for g in (*t.guards, *t.unless)]
        labels += [task.title for t in process.transitions for task in t.tasks]
        labels += [d.label for s in process.states for d in s.deadlines]
        labels += [reason for s in process.states for reason in s.refusals.values()]
        for text in labels:
            assert set(cited(text)) <= RULES.keys(), text


@by_name
def test_describe_every_state_and_trigger_in_german(process):
    for item in (*process.states, *process.triggers):
        text = item.description
        assert text and text[0].isupper() and text.endswith("."), (process.name, item.name)
        spelled_out = {w.lower() for w in _UMLAUT_SPELLED_OUT.findall(text)} - _ALLOWED_SPELLINGS
        assert not spelled_out, (item.name, spelled_out)  # umlauts, not "ue"


@by_name
def test_cite_a_rule_for_every_state_and_trigger_domain_gives_one_for(process):
    without = {(process.name, item.name) for item in (*process.states, *process.triggers) if not item.rules}
    assert without == {key for key in NO_RULE_IN_DOMAIN if key[0] == process.name}
    for item in (*process.states, *process.triggers):
        assert set(item.rules) <= RULES.keys()


def test_refuse_a_declaration_citing_an_unknown_rule():
    from dataclasses import replace

    from statemachines.spec import Process

    p = PROCESSES["schlichtung"]
    states = (replace(p.states[0], rules=("R99",)), *p.states[1:])
    with pytest.raises(ValueError, match="unknown rule R99"):
        Process(p.name, p.label, p.initial, p.facts, p.start, states, p.triggers, p.transitions)


# --- the view model ----------------------------------------------------------------------------


def view(name: str, policy: Policy | None = None):
    return training_view(PROCESSES[name], policy or Policy(), ROLE_LABELS, {k: v.subject for k, v in TEMPLATES.items()})


def state(v, name):
    return next(s for s in v.states if s.name == name)


def trigger(v, name):
    return next(t for t in v.triggers if t.name == name)


@by_name
def test_list_every_state_and_trigger_in_declaration_order(process):
    v = view(process.name)
    assert [s.name for s in v.states] == [s.name for s in process.states]
    assert [t.name for t in v.triggers] == [t.name for t in process.triggers]
    assert all(s.description == process.state(s.name).description for s in v.states)


@by_name
def test_derive_who_acts_from_the_triggers_that_leave_a_state(process):
    v = view(process.name)
    for s in v.states:
        expected = {
            role
            for t in process.transitions
            if s.name in t.source
            for role in process.trigger(t.trigger).roles - {SYSTEM}
        }
        assert {a.role.name for a in s.actors} == expected, s.name
        assert all(a.role.label == ROLE_LABELS[a.role.name] for a in s.actors)
        assert not s.actors if s.final else True


def test_show_clearing_offen_with_its_tasks_deadline_and_rules():
    s = state(view("neuantrag"), "clearing_offen")
    assert s.label == "Clearing offen" and not s.final and not s.initial
    assert {a.role.name for a in s.actors} == {"egs", "jobcoach", "leistung"}
    jobcoach = next(a for a in s.actors if a.role.name == "jobcoach")
    assert "Kontaktversuch gescheitert" in [t.label for t in jobcoach.triggers]
    titles = {(t.role.name, t.title, t.opened_by.name) for t in s.tasks}
    assert ("jobcoach", "Clearinggespräch führen (R2)", "an_clearing_uebergeben") in titles
    assert ("jobcoach", "Aktiv Kontakt aufnehmen: noch kein Clearingtermin (R5)", "kontaktaufnahme_faellig") in titles
    assert [(d.trigger.name, d.when) for d in s.deadlines] == [("kontaktaufnahme_faellig", "nach 7 Tagen")]
    assert {"R1", "R2", "R5"} <= {r.id for r in s.rules}
    assert all(r.title == RULES[r.id] for r in s.rules)


def test_take_deadline_durations_from_the_policy():
    s = state(view("neuantrag", Policy(clearing_kontakt_nach=timedelta(days=10))), "clearing_offen")
    assert s.deadlines[0].when == "nach 10 Tagen"


def test_mark_deadlines_that_make_a_case_overdue():
    """R32 (changed with issue 19): the deadline runs from the event, also once counselling is booked."""
    s = state(view("rechtskreiswechsel"), "infoveranstaltung_besucht")
    assert [(d.trigger.name, d.when, d.marks_overdue) for d in s.deadlines] == [
        ("beratungsfrist_versaeumt", "Beratungsfrist ab der Infoveranstaltung (R32)", True)
    ]
    s = state(view("rechtskreiswechsel"), "beratung_terminiert")
    assert [(d.trigger.name, d.marks_overdue) for d in s.deadlines] == [("beratungsfrist_versaeumt", True)]


def test_show_refusals_with_their_rule():
    s = state(view("kooperationsplan"), "in_schlichtung")
    assert "mitwirkung_versaeumt" in [t.name for t, _ in s.refusals]
    assert "R55" in {r.id for r in s.rules}


def test_show_what_a_trigger_causes_per_outcome():
    t = trigger(view("neuantrag"), "kontaktversuch_gescheitert")
    assert [r.name for r in t.roles] == ["jobcoach"]
    assert [(o.dest.name if o.dest else None) for o in t.outcomes] == [
        "an_ifk_reha_uebergeben",
        "an_ifk_uebergeben",
        "clearing_entzogen",
        None,
    ]
    to_ifk = t.outcomes[1]
    assert "Leistung bewilligt (R12)" in to_ifk.conditions
    assert [(x.name, x.label) for x in to_ifk.letters] == [("fallubergabe", "Fallübergabe")]
    assert [(x.role.name, x.opened_by.name) for x in to_ifk.tasks] == [("ifk", "kontaktversuch_gescheitert")]
    assert t.outcomes[3].conditions == "sonst"
    assert {"R5", "R11", "R12"} <= {r.id for r in t.rules}


def test_show_timers_a_step_starts_and_who_fires_a_timer():
    v = view("neuantrag")
    handover = trigger(v, "an_clearing_uebergeben").outcomes[0]
    assert [(d.trigger.name, d.when) for d in handover.timers] == [("kontaktaufnahme_faellig", "nach 7 Tagen")]
    timer = trigger(v, "wiedervorlage_faellig")
    assert timer.roles == () and [(s.name, d.when) for s, d in timer.by_timer] == [
        ("eigener_plan_wiedervorlage", "nach 4 Wochen"),
        ("alg1_wiedervorlage", "Wiedervorlage während des ALG-I-Bezugs (R8)"),  # R8, added with issue 19
    ]


def test_show_child_cases_and_who_starts_a_process():
    rkw = trigger(view("rechtskreiswechsel"), "wechsel_vollzogen")
    assert [(c.name, c.label) for o in rkw.outcomes for c in o.children] == [("neuantrag", "Neuantrag")]
    na = view("neuantrag")
    assert [(p.name, t.name) for p, t in na.started_by] == [("rechtskreiswechsel", "wechsel_vollzogen")]
    assert [r.name for r in na.start_roles] == ["egs"]
    kp = trigger(view("kooperationsplan"), "schlichtung_beendet")
    assert [c.name for c in kp.by_child_end] == ["schlichtung"]


@by_name
def test_collect_every_cited_rule_once_in_order(process):
    v = view(process.name)
    ids = [r.id for r in v.rules]
    assert ids == sorted(set(ids), key=lambda r: int(r[1:]))
    assert {r.id for s in v.states for r in s.rules} <= set(ids)


def test_fall_back_to_ids_without_labels():
    v = training_view(PROCESSES["neuantrag"], Policy())
    task = state(v, "clearing_offen").tasks[0]
    assert task.role.label == task.role.name == "jobcoach"
