"""The gruppencoaching machine without Temporal: R24 paths, R26 eligibility, R25 precedence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from statemachines.engine import CaseMachine, NotAllowed
from statemachines.gruppencoaching import GRUPPENCOACHING, GruppencoachingStart
from statemachines.policy import Policy

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MACHINE = CaseMachine(GRUPPENCOACHING)
TERMIN = {"termin": "2026-03-05T10:00:00+01:00"}


def _facts(**start):
    return GRUPPENCOACHING.initial_facts(GruppencoachingStart(**start))


def _walk(facts, *steps):
    state = GRUPPENCOACHING.initial
    for trigger, data in steps:
        step = MACHINE.step(state, facts, trigger, MACHINE.payload(trigger, data), NOW)
        state, facts = step.dest, step.facts
    return state, facts


def _refusal(**start) -> NotAllowed:
    with pytest.raises(NotAllowed) as refused:
        _walk(_facts(**start), ("uebergabe_vereinbart", TERMIN))
    return refused.value


def test_offer_adult_reaches_uebergabe_terminiert():
    assert _walk(_facts(), ("uebergabe_vereinbart", TERMIN))[0] == "uebergabe_terminiert"


def test_refuse_pupil_citing_r26():
    reason = _refusal(jugendlich=True, schulpflicht_erfuellt=False).reason
    assert "Schulpflicht" in reason and "R26" in reason


def test_refuse_young_person_without_schulpflicht_fact():
    assert "Schulpflicht" in _refusal(jugendlich=True).reason


def test_refuse_young_person_seeking_first_apprenticeship_citing_r26():
    reason = _refusal(jugendlich=True, schulpflicht_erfuellt=True, sucht_erstausbildung=True).reason
    assert "erste Ausbildung" in reason and "R26" in reason


def test_allow_young_person_after_schooling_who_wants_work():
    facts = _facts(jugendlich=True, schulpflicht_erfuellt=True)
    assert _walk(facts, ("uebergabe_vereinbart", TERMIN))[0] == "uebergabe_terminiert"


def test_allow_after_corrected_facts():
    facts = _facts(jugendlich=True)
    state, _ = _walk(
        facts, ("voraussetzungen_erfasst", {"schulpflicht_erfuellt": True}), ("uebergabe_vereinbart", TERMIN)
    )
    assert state == "uebergabe_terminiert"


def test_probezeit_declares_policy_timer():
    pending = MACHINE.deadlines("probezeit", _facts(), NOW)
    assert [(p.deadline.trigger, p.due) for p in pending] == [("probezeit_abgelaufen", NOW + Policy().gc_probezeit)]


def test_probezeit_ends_in_decision_then_stays_or_goes_back():
    base = [("uebergabe_vereinbart", TERMIN), ("probezeit_begonnen", None)]
    state, facts = _walk(_facts(), *base)
    assert (state, facts.probezeit) == ("probezeit", True)
    step = MACHINE.step(state, facts, "probezeit_abgelaufen", None, NOW)
    assert step.dest == "probezeit_beendet"
    assert MACHINE.step(step.dest, facts, "verbleib_vereinbart", None, NOW).dest == "teilnahme"
    back = MACHINE.step(step.dest, facts, "an_ifk_zurueckgegeben", None, NOW)
    assert back.dest == "rueckgabe_ifk" and back.transition.letters == ("fallubergabe",)


def test_jobturbo_gives_jobcoach_tasks_precedence():
    tasks = [t for tr in GRUPPENCOACHING.transitions for t in tr.tasks if t.role == "jobcoach"]
    assert tasks and all(t.precedence is not None for t in tasks)
    assert all(t.precedence.test(_facts(jobturbo=True), Policy()) for t in tasks)
    assert not any(t.precedence.test(_facts(), Policy()) for t in tasks)


def test_reach_every_state_from_angeboten():
    reachable, frontier = {GRUPPENCOACHING.initial}, [GRUPPENCOACHING.initial]
    while frontier:
        state = frontier.pop()
        for t in GRUPPENCOACHING.transitions:
            if state in t.source and t.dest and t.dest not in reachable:
                reachable.add(t.dest)
                frontier.append(t.dest)
    assert reachable == {s.name for s in GRUPPENCOACHING.states}


def test_policy_refuses_fewer_weekdays_than_sessions_per_week():
    with pytest.raises(ValidationError):
        Policy(gc_sitzungen_pro_woche=4, gc_wochentage=(0, 2, 4))


def test_concept_5_2_first_talk_with_bestands_elb_documented_state_kept():
    """Concept 5.2 (R15, R24): the Jobcoaches document the first talk on the gruppencoaching case; the
    state stays and the first date is kept; not before the Übergabegespräch is set."""
    state, facts = _walk(_facts(), ("uebergabe_vereinbart", TERMIN), ("erstgespraech_gefuehrt", None))
    assert (state, facts.erstgespraech_am) == ("uebergabe_terminiert", NOW)
    later = MACHINE.step(state, facts, "erstgespraech_gefuehrt", None, NOW.replace(hour=12))
    assert later.facts.erstgespraech_am == NOW and not later.entered
    assert "erstgespraech_gefuehrt" not in MACHINE.allowed("angeboten", _facts())
    assert MACHINE.roles_for("erstgespraech_gefuehrt") == frozenset({"jobcoach"})
