"""A regime is the same JSON however its sets were built: the operator command signs it and the
workflow checks the signature on the regime it received (R62, runtime/signing.py)."""

from __future__ import annotations

from statemachines.regimes import Regime, Regimes


def test_sets_travel_sorted_so_a_received_regime_signs_the_same():
    regime = Regimes.load().get("grundsicherung_2026")
    dumped = regime.model_dump(mode="json")
    assert dumped["varianten"] == sorted(regime.varianten)
    assert all(names == sorted(names) for names in dumped["nicht_verfuegbar"].values())
    # built in another order (as a receiving side may), it dumps to the same JSON
    received = Regime.model_validate({**dumped, "varianten": list(reversed(dumped["varianten"]))})
    assert received.model_dump_json() == regime.model_dump_json()
