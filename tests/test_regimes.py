"""Regimes as dated policy (R61): the built-in catalogue, the regime in force on a date, the process
variants each regime makes, a third regime from a settings file without code, the pin setting and
the environment's policy overrides under every regime."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from runtime.settings import Settings
from statemachines import CaseMachine, NotAllowed, Policy
from statemachines.regimes import LEGACY, Regime, Regimes, builtin, for_regime, parse
from statemachines.registry import PROCESSES

CATALOGUE = Regimes.load()
KP = PROCESSES["kooperationsplan"]
THIRD = """
[[regime]]
name = "grundsicherung_2027"
label = "Beispiel: ein dritter Rechtsstand"
gilt_ab = 2027-01-01
varianten = ["pflichten_per_verwaltungsakt"]
werte = { schlichtung_verfuegbar = false, kp_ueberpruefung_monate = 12 }

[regime.nicht_verfuegbar]
kooperationsplan = ["schlichtung_beantragt", "erarbeitung_aufgenommen"]
"""


def names(items) -> set[str]:
    return {i.name for i in items}


def test_regime_in_force_follows_the_dates_of_the_law():
    assert CATALOGUE.in_force(date(2025, 3, 1)).name == "buergergeld_2023"
    assert CATALOGUE.in_force(date(2026, 6, 30)).name == "buergergeld_2023"
    assert CATALOGUE.in_force(date(2026, 7, 1)).name == "grundsicherung_2026"
    assert CATALOGUE.in_force(date(2026, 12, 2)).name == "grundsicherung_2026"
    assert CATALOGUE.gilt_bis("buergergeld_2023") == date(2026, 6, 30)
    assert CATALOGUE.gilt_bis("grundsicherung_2026") is None


def test_each_regime_is_a_complete_policy():
    old, new = CATALOGUE.get("buergergeld_2023").policy(), CATALOGUE.get("grundsicherung_2026").policy()
    assert old.schlichtung_verfuegbar and not new.schlichtung_verfuegbar
    assert CATALOGUE.get("grundsicherung_2026").uebergang.schlichtung == "auslaufen"  # R62 default


def test_grundsicherung_removes_the_schlichtung_and_adds_the_verwaltungsakt():
    old = for_regime(KP, CATALOGUE.get("buergergeld_2023"))
    new = for_regime(KP, CATALOGUE.get("grundsicherung_2026"))
    assert "schlichtung_beantragt" in names(old.triggers) and "schlichtung_beantragt" not in names(new.triggers)
    assert "pflichten_per_verwaltungsakt" not in names(old.states) and "pflichten_per_verwaltungsakt" in names(
        new.states
    )
    assert {"verwaltungsakt_erlassen", "potenzialanalyse_einladung_mit_rfb"} <= names(new.triggers) - names(
        old.triggers
    )
    # in_schlichtung stays under the new law for plans moved over while a Schlichtung runs (R62) ...
    assert "in_schlichtung" in names(new.states) and new.on_child_end == {
        "schlichtung": "schlichtung_beendet",
        "minderung": "minderung_beendet",
    }
    # ... but nothing reaches it there: the diagram leaves it out
    assert "in_schlichtung" not in names(
        for_regime(KP, CATALOGUE.get("grundsicherung_2026"), reachable_only=True).states
    )


def test_engine_decides_with_the_regime_variant():
    facts = KP.facts()
    old = CaseMachine(for_regime(KP, CATALOGUE.get("buergergeld_2023")), CATALOGUE.get("buergergeld_2023").policy())
    new = CaseMachine(
        for_regime(KP, CATALOGUE.get("grundsicherung_2026")), CATALOGUE.get("grundsicherung_2026").policy()
    )
    assert "schlichtung_beantragt" in old.allowed("in_erarbeitung", facts)
    assert "schlichtung_beantragt" not in new.allowed("in_erarbeitung", facts)
    assert "verwaltungsakt_erlassen" in new.allowed("ohne_plan", facts)
    assert "verwaltungsakt_erlassen" in new.allowed("aufforderung_mit_rfb", facts)
    assert "verwaltungsakt_erlassen" not in old.allowed("ohne_plan", facts)
    with pytest.raises(NotAllowed):
        old.step("ohne_plan", facts, "verwaltungsakt_erlassen", None, _now())


def _now():
    from datetime import UTC, datetime

    return datetime(2026, 7, 2, tzinfo=UTC)


def test_legacy_is_the_builtin_2023_law():
    """Cases started before regimes existed run under LEGACY: the same process as buergergeld_2023."""
    builtin_2023 = CATALOGUE.get("buergergeld_2023")
    for process in PROCESSES.values():
        assert for_regime(process, LEGACY).transitions == for_regime(process, builtin_2023).transitions
        assert names(for_regime(process, LEGACY).states) == names(for_regime(process, builtin_2023).states)


def test_third_regime_from_a_settings_file_needs_no_code(tmp_path):
    """Values and availability only: the file is the whole change (R60, R61)."""
    path = tmp_path / "regimes.toml"
    path.write_text(THIRD, encoding="utf-8")
    settings = Settings(regimes_file=path, regime="")
    catalogue = settings.regimes()
    third = catalogue.in_force(date(2027, 3, 1))
    assert third.name == "grundsicherung_2027" and catalogue.gilt_bis("grundsicherung_2026") == date(2026, 12, 31)
    policy = settings.regime_policy(third)
    assert policy.kp_ueberpruefung_monate == 12 and not policy.schlichtung_verfuegbar
    machine = CaseMachine(for_regime(KP, third), policy)
    facts = KP.facts()
    assert "erarbeitung_aufgenommen" not in machine.allowed("ohne_plan", facts)
    assert "verwaltungsakt_erlassen" in machine.allowed("ohne_plan", facts)
    assert "potenzialanalyse_einladung_mit_rfb" not in machine.allowed("potenzialanalyse", facts)
    entered = _now()
    [review] = machine.deadlines("pflichten_per_verwaltungsakt", facts, entered)
    assert review.due.date() == date(2027, 7, 2)  # twelve months under this regime


def test_refuse_a_regime_file_with_unknown_values(tmp_path):
    with pytest.raises(ValidationError):
        parse('[[regime]]\nname = "x_2030"\ngilt_ab = 2030-01-01\nwerte = { gibt_es_nicht = 1 }\n')
    with pytest.raises(ValueError):  # two regimes without a start
        Regimes([*builtin(), Regime(name="ohne_beginn")])


def test_pin_setting_names_a_known_regime():
    assert Settings(regime="buergergeld_2023").regime == "buergergeld_2023"
    with pytest.raises(ValidationError, match="FAHRPLAN_REGIME"):
        Settings(regime="gibt_es_nicht")


def test_environment_overrides_apply_under_every_regime(monkeypatch):
    monkeypatch.setenv("FAHRPLAN_POLICY__SCHLICHTUNG_FRIST", "P14D")
    monkeypatch.setenv("FAHRPLAN_POLICY__SCHLICHTUNG_VERFUEGBAR", "false")
    settings = Settings()
    for regime in CATALOGUE.ordered:
        policy = settings.regime_policy(regime)
        assert policy.schlichtung_frist == timedelta(days=14) and not policy.schlichtung_verfuegbar
    assert Settings(policy=Policy()).regime_policy(CATALOGUE.get("buergergeld_2023")).schlichtung_verfuegbar


def test_training_view_and_role_matrix_follow_the_regime():
    """The training pages draw the regime's variant; the role matrix marks variant triggers."""
    from statemachines.roles import process_table
    from statemachines.training import training_view

    old_regime, new_regime = CATALOGUE.get("buergergeld_2023"), CATALOGUE.get("grundsicherung_2026")
    old = training_view(for_regime(KP, old_regime, reachable_only=True), old_regime.policy())
    new = training_view(for_regime(KP, new_regime, reachable_only=True), new_regime.policy())
    assert "pflichten_per_verwaltungsakt" in names(new.states) and "pflichten_per_verwaltungsakt" not in names(
        old.states
    )
    assert "schlichtung_beantragt" in names(old.triggers) and "schlichtung_beantragt" not in names(new.triggers)
    assert "R63" in {r.id for r in new.rules} and "R63" not in {r.id for r in old.rules}
    table = process_table(KP, ["ifk"])
    assert "`verwaltungsakt_erlassen` (Variante `pflichten_per_verwaltungsakt`)" in table
