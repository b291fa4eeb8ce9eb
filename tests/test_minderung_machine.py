"""The minderung and meldetermin declarations without Temporal: the proposal each regime computes
(R64–R66), the cap (R65), R67 (only `leistung` decides, no timer ever does) and random walks over
the machine proving that no path reaches a decision without a hearing and a recorded hardship check."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from statemachines import CaseMachine, NotAllowed, Policy
from statemachines.meldetermin import MELDETERMIN, MeldeterminStart
from statemachines.minderung import MINDERUNG, MinderungStart
from statemachines.minderung_vorschlag import FruehereMinderung, anlass_fuer_versaeumnis, regime_am, vorschlag
from statemachines.policy import MinderungsRegeln
from statemachines.registry import PROCESSES
from statemachines.spec import SYSTEM

POLICY = Policy()
EREIGNIS = date(2026, 9, 1)
ALT, NEU = "buergergeld_2023", "grundsicherung_2026"
DECISIONS = frozenset({"minderung_festgestellt", "von_minderung_abgesehen"})
DECIDED_STATES = frozenset({"festgestellt", "abgesehen", "leistungen_entzogen"})


def frueher(anlass: str, tage_vorher: int, prozent: int = 10, monate: int = 1, beginn: date | None = None):
    am = EREIGNIS - timedelta(days=tage_vorher)
    return FruehereMinderung(
        case_id=f"m{tage_vorher}",
        anlass=anlass,
        ereignis_am=am,
        festgestellt_am=am + timedelta(days=30),
        beginn=beginn or am + timedelta(days=31),
        prozent=prozent,
        monate=monate,
    )


# --- the proposal --------------------------------------------------------------------------


def test_old_law_missed_appointment_proposes_ten_percent_for_one_month():
    v = vorschlag(POLICY, ALT, "meldeversaeumnis", EREIGNIS, EREIGNIS, [], 1)
    assert (v.prozent, v.monate, v.entzug) == (10, 1, False)
    assert "Bürgergeld" in v.begruendung[0]


@pytest.mark.parametrize(
    ("earlier", "expected"),
    [
        ([], (10, 1, 1)),
        ([400], (10, 1, 1)),  # more than a year ago: the steps start again
        ([200], (20, 2, 2)),
        ([300, 100], (30, 3, 3)),
        ([350, 250, 100], (30, 3, 3)),  # the last step stays
    ],
)
def test_old_law_breaches_of_duty_step_up_within_a_year(earlier, expected):
    frueh = [frueher("pflichtverletzung", d, beginn=EREIGNIS - timedelta(days=d - 1)) for d in earlier]
    v = vorschlag(POLICY, ALT, "pflichtverletzung", EREIGNIS, EREIGNIS, frueh)
    assert (v.prozent, v.monate, v.stufe) == expected
    assert [g.case_id for g in v.grundlagen] == [f"m{d}" for d in sorted(d for d in earlier if d <= 365)][::-1][
        ::-1
    ] or len(v.grundlagen) == len([d for d in earlier if d <= 365])


def test_old_law_names_the_earlier_minderungen_with_their_dates():
    v = vorschlag(POLICY, ALT, "pflichtverletzung", EREIGNIS, EREIGNIS, [frueher("pflichtverletzung", 200)])
    assert any("13.02.2026" in line for line in v.begruendung)  # 1 Sep 2026 - 200 days
    assert v.grundlagen[0].ereignis_am == date(2026, 2, 13)


def test_new_law_breach_is_a_flat_thirty_percent_for_three_months_also_the_second():
    assert vorschlag(POLICY, NEU, "pflichtverletzung", EREIGNIS, EREIGNIS, []).model_dump(
        include={"prozent", "monate"}
    ) == {"prozent": 30, "monate": 3}
    again = vorschlag(POLICY, NEU, "pflichtverletzung", EREIGNIS, EREIGNIS, [frueher("pflichtverletzung", 200, 30, 3)])
    assert (again.prozent, again.monate, again.stufe, len(again.grundlagen)) == (30, 3, 1, 1)


def test_new_law_missed_appointment_from_the_second_in_a_row():
    assert vorschlag(POLICY, NEU, "meldeversaeumnis", EREIGNIS, EREIGNIS, [], 1).prozent == 0
    v = vorschlag(POLICY, NEU, "meldeversaeumnis", EREIGNIS, EREIGNIS, [], 2)
    assert (v.prozent, v.monate) == (30, 1)


def test_new_law_third_miss_makes_not_reachable_the_old_law_never():
    assert [anlass_fuer_versaeumnis(POLICY, NEU, n) for n in (1, 2, 3, 4)] == [
        "meldeversaeumnis",
        "meldeversaeumnis",
        "nicht_erreichbar",
        "nicht_erreichbar",
    ]
    assert {anlass_fuer_versaeumnis(POLICY, ALT, n) for n in range(1, 10)} == {"meldeversaeumnis"}
    v = vorschlag(POLICY, NEU, "nicht_erreichbar", EREIGNIS, EREIGNIS, [], 3)
    assert (v.entzug, v.kdu_an_vermieter_monate, v.prozent) == (True, 1, 0)


def test_never_above_the_cap_counting_running_minderungen():
    running = frueher("pflichtverletzung", 20, prozent=20, monate=2, beginn=EREIGNIS - timedelta(days=10))
    v = vorschlag(POLICY, ALT, "meldeversaeumnis", EREIGNIS, EREIGNIS, [running], 1)
    assert (v.prozent, v.laufend_prozent, v.verfuegbar_prozent, v.gekappt) == (10, 20, 10, False)
    v = vorschlag(POLICY, NEU, "pflichtverletzung", EREIGNIS, EREIGNIS, [running])
    assert (v.prozent, v.gekappt, v.verfuegbar_prozent) == (10, True, 10)
    over = vorschlag(
        POLICY, NEU, "pflichtverletzung", EREIGNIS + timedelta(days=90), EREIGNIS + timedelta(days=90), [running]
    )
    assert (over.prozent, over.laufend_prozent) == (30, 0)  # the earlier one has run out


def test_the_figures_are_policy_per_regime():
    """R60: a changed value needs no code; an unknown regime is refused with a German reason."""
    regeln = dict(POLICY.minderung_regeln)
    regeln[NEU] = MinderungsRegeln(pflichtverletzung_stufen=((25, 2),), nicht_erreichbar_ab=0)
    policy = POLICY.model_copy(update={"minderung_regeln": regeln, "minderung_obergrenze_prozent": 20})
    v = vorschlag(policy, NEU, "pflichtverletzung", EREIGNIS, EREIGNIS, [])
    assert (v.prozent, v.monate, v.gekappt) == (20, 2, True)
    assert anlass_fuer_versaeumnis(policy, NEU, 5) == "meldeversaeumnis"
    with pytest.raises(ValueError, match="keine Minderungsregeln"):
        vorschlag(POLICY, "unbekannt_2030", "meldeversaeumnis", EREIGNIS, EREIGNIS, [])


def test_regime_of_a_day_and_of_a_start_without_one():
    assert (regime_am(date(2026, 6, 30)), regime_am(date(2026, 7, 1))) == (ALT, NEU)
    start = MeldeterminStart(termin=datetime(2026, 6, 30, 9, tzinfo=UTC), ort="Jobcenter Witten, Raum 2")
    assert start.regime == ALT
    with pytest.raises(ValidationError, match="Zeitzone"):
        MeldeterminStart(termin=datetime(2026, 8, 3, 9), ort="Jobcenter Witten")
    with pytest.raises(ValidationError):
        MeldeterminStart(termin=datetime(2026, 8, 3, 9, tzinfo=UTC), ort="Zeile eins\nZeile zwei")


# --- R67: decisions are people's -------------------------------------------------------------


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_only_leistung_decides_and_no_timer_or_child_end_fires_a_decision(process):
    p = PROCESSES[process]
    for t in p.triggers:
        if t.name in DECISIONS:
            assert t.roles == {"leistung"}, t.name
    timer_fired = {d.trigger for s in p.states for d in s.deadlines} | set(p.on_child_end.values())
    assert not timer_fired & DECISIONS
    for t in p.transitions:
        if t.dest in DECIDED_STATES and process == "minderung":
            assert t.trigger in DECISIONS and SYSTEM not in p.trigger(t.trigger).roles


def test_no_decision_state_is_reached_from_the_hearing_but_abstaining():
    into = {
        (t.trigger, src)
        for t in MINDERUNG.transitions
        if t.dest in {"festgestellt", "leistungen_entzogen"}
        for src in t.source
    }
    assert into == {("minderung_festgestellt", "entscheidung_offen")}


# --- random walks ------------------------------------------------------------------------------

START = datetime(2026, 9, 1, 9, 30, tzinfo=UTC)
ROLES = ("egs", "jobcoach", "ifk", "ifk_reha", "leistung", "teamleitung", "schlichtungsstelle", SYSTEM)
DECISION = st.fixed_dictionaries(
    {
        "prozent": st.integers(0, 100),
        "monate": st.integers(0, 12),
        "beginn": st.just("2026-10-01"),
        "entzug": st.booleans(),
    },
    optional={
        "haertepruefung": st.sampled_from(
            ["keine_aussergewoehnliche_haerte", "haerte_durch_geringere_minderung_beruecksichtigt", "vielleicht"]
        ),
        "haertepruefung_am": st.just("2026-09-30"),
    },
)
PAYLOADS = {
    "minderung_festgestellt": DECISION,
    "von_minderung_abgesehen": st.fixed_dictionaries(
        {"grund": st.sampled_from(["wichtiger_grund", "aussergewoehnliche_haerte", "kein_vorschlag", "x"])}
    ),
}
STEPS = st.lists(
    st.tuples(
        st.sampled_from([t.name for t in MINDERUNG.triggers]).flatmap(
            lambda t: st.tuples(st.just(t), PAYLOADS.get(t, st.none()))
        ),
        st.sampled_from(ROLES),
        st.booleans(),  # a Schlichtung runs when the system checks (R55)
        st.integers(0, 60),  # days until the step
    ),
    max_size=12,
)


def _prepared(trigger: str, data: dict | None, facts, now: datetime, schlichtung: bool) -> dict | None:
    """What the trigger's prepare activity adds (activities/minderung.py), without a database."""
    if trigger in ("stellungnahme_eingegangen", "anhoerungsfrist_abgelaufen"):
        v = vorschlag(
            POLICY, facts.regime, facts.anlass, facts.ereignis_am.date(), now.date(), [], facts.versaeumnisse_in_folge
        )
        return {"vorschlag": v.model_dump(mode="json"), "schlichtung_laeuft": schlichtung}
    if trigger == "minderung_festgestellt":
        return {**(data or {}), "schlichtung_laeuft": schlichtung, "verfuegbar_prozent": 30, "geprueft": True}
    return data


def _walk(anlass: str, regime: str, steps) -> list[str]:
    """Run the steps as the host would (roles checked, prepared payloads); assert the invariants
    on every step taken and return the states entered."""
    machine = CaseMachine(MINDERUNG, POLICY)
    start = MinderungStart(anlass=anlass, ereignis_am=START, regime=regime, versaeumnisse_in_folge=3)
    state, facts, now = MINDERUNG.initial, MINDERUNG.initial_facts(start), START
    heard, entered = False, [state]
    for (trigger, data), role, schlichtung, days in steps:
        now += timedelta(days=days)
        if role not in MINDERUNG.trigger(trigger).roles:
            continue  # the host refuses an undeclared role (tests/test_role_matrix.py)
        try:
            payload = machine.payload(trigger, _prepared(trigger, data, facts, now, schlichtung))
            step = machine.step(state, facts, trigger, payload, now)
        except (NotAllowed, ValidationError, ValueError):
            continue
        if role == SYSTEM:
            assert step.dest not in DECIDED_STATES, f"a timer decided: {trigger}"
        if step.dest in {"festgestellt", "leistungen_entzogen"} and step.source != step.dest:
            assert heard and step.facts.anhoerung is not None, "decided without a hearing"
            assert (
                step.facts.haertepruefung
                in (
                    "keine_aussergewoehnliche_haerte",
                    "haerte_durch_geringere_minderung_beruecksichtigt",
                )
                and step.facts.haertepruefung_am
            ), "decided without a recorded hardship check"
            assert role == "leistung" and trigger == "minderung_festgestellt"
            assert not (schlichtung and regime == ALT), "R55: a Minderung during a Schlichtung"
            if anlass != "nicht_erreichbar":
                assert 1 <= step.facts.prozent <= POLICY.minderung_obergrenze_prozent
        if step.dest == "entscheidung_offen" and step.source == "anhoerung":
            heard = True
        state, facts = step.dest, step.facts
        entered.append(state)
        if state in MINDERUNG.final_states:
            break
    return entered


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(
    anlass=st.sampled_from(["meldeversaeumnis", "pflichtverletzung", "nicht_erreichbar"]),
    regime=st.sampled_from([ALT, NEU]),
    steps=STEPS,
)
def test_random_walks_reach_a_decision_only_after_hearing_and_hardship_check_and_never_by_timer(anlass, regime, steps):
    _walk(anlass, regime, steps)


ENTSCHEIDUNG = {
    "prozent": 10,
    "monate": 1,
    "beginn": "2026-10-01",
    "entzug": False,
    "haertepruefung": "keine_aussergewoehnliche_haerte",
    "haertepruefung_am": "2026-09-30",
}


def test_the_walk_reaches_decisions_so_its_checks_are_not_vacuous():
    no_check = {k: v for k, v in ENTSCHEIDUNG.items() if k != "haertepruefung"}
    steps = [
        (("minderung_festgestellt", ENTSCHEIDUNG), "leistung", False, 1),  # before the hearing: refused
        (("anhoerungsfrist_abgelaufen", None), SYSTEM, False, 14),
        (("minderung_festgestellt", no_check), "leistung", False, 1),  # without the hardship check: refused
        (("minderung_festgestellt", ENTSCHEIDUNG), "ifk", False, 1),  # not leistung: refused
        (("minderung_festgestellt", ENTSCHEIDUNG), "leistung", True, 1),  # R55 under the old law: refused
        (("minderung_festgestellt", ENTSCHEIDUNG), "leistung", False, 1),
    ]
    assert _walk("meldeversaeumnis", ALT, steps) == ["anhoerung", "entscheidung_offen", "festgestellt"]
    withhold = [
        (("stellungnahme_eingegangen", None), "ifk", False, 3),
        (("minderung_festgestellt", {**ENTSCHEIDUNG, "prozent": 0, "monate": 0, "entzug": True}), "leistung", False, 1),
        (("persoenlich_gemeldet", None), "egs", False, 20),
    ]
    assert _walk("nicht_erreichbar", NEU, withhold) == [
        "anhoerung",
        "entscheidung_offen",
        "leistungen_entzogen",
        "gemeldet",
    ]


def test_meldetermin_never_spawns_a_minderung_but_from_versaeumt_without_good_reason():
    spawning = [(t.trigger, t.source) for t in MELDETERMIN.transitions if t.spawns]
    assert spawning == [("kein_wichtiger_grund", ("versaeumt",))]
    assert MELDETERMIN.trigger("termin_verstrichen").roles == {SYSTEM}


def test_a_policy_with_the_regime_values_still_keys_a_cache():
    """The per-regime mapping is a dict; a policy keys the diagram caches (api/routes/processes.py)."""
    changed = POLICY.model_copy(update={"minderung_obergrenze_prozent": 20})
    assert {POLICY: 1, Policy(): 2, changed: 3} == {Policy(): 2, changed: 3}


def test_breach_of_duties_by_verwaltungsakt_spawns_a_minderung_only_under_the_new_law():
    """R63/R65: under grundsicherung_2026 a duty set by Verwaltungsakt (with RFB) that is not kept
    goes straight to a hearing (a minderung child, reported back); under buergergeld_2023 neither
    the state nor the trigger exists."""
    from statemachines.kooperationsplan import KOOPERATIONSPLAN
    from statemachines.regimes import Regimes, for_regime

    regimes = Regimes.load()
    neu, alt = regimes.get(NEU), regimes.get(ALT)
    new = CaseMachine(for_regime(KOOPERATIONSPLAN, neu), neu.policy())
    old = CaseMachine(for_regime(KOOPERATIONSPLAN, alt), alt.policy())
    facts = KOOPERATIONSPLAN.facts()
    assert "pflichten_verletzt" in new.allowed("pflichten_per_verwaltungsakt", facts)
    for state in ("aktiv", "ohne_plan", "aufforderung_mit_rfb", "in_erarbeitung"):
        assert "pflichten_verletzt" not in new.allowed(state, facts)
    assert "pflichten_verletzt" not in old.allowed("ohne_plan", facts)
    with pytest.raises(NotAllowed):
        old.step("pflichten_per_verwaltungsakt", facts, "pflichten_verletzt", None, datetime(2026, 9, 1, tzinfo=UTC))
    now = datetime(2026, 9, 1, 9, tzinfo=UTC)
    payload = new.payload("pflichten_verletzt", {"anlass": "massnahme_nicht_angetreten"})
    step = new.step("pflichten_per_verwaltungsakt", facts, "pflichten_verletzt", payload, now)
    assert (step.dest, step.entered) == ("pflichten_per_verwaltungsakt", False)
    [spawn] = step.transition.spawns
    assert (spawn.process, spawn.report, spawn.patch) == ("minderung", True, None)
    start = MinderungStart.model_validate(spawn.facts(step.facts, payload))
    assert (start.anlass, start.pflicht, start.ereignis_am, start.regime) == (
        "pflichtverletzung",
        "massnahme_nicht_angetreten",
        now,
        NEU,
    )
    # no Aufforderung first: the Verwaltungsakt carried the RFB
    assert (step.facts.aufforderungen, step.transition.letters) == (0, ())
