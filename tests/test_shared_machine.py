"""CaseMachine.shared: one machine per process variant and policy for every case deciding with
them (workflows/host.py), built once; cases stepping through it at once never see each other."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from statemachines.engine import CaseMachine
from statemachines.neuantrag import NEUANTRAG, NeuantragStart
from statemachines.policy import Policy
from statemachines.regimes import builtin, for_regime

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def test_one_machine_per_process_variant_and_policy():
    machine = CaseMachine.shared(NEUANTRAG, Policy())
    assert CaseMachine.shared(NEUANTRAG, Policy()) is machine  # an equal policy, another object
    assert CaseMachine.shared(NEUANTRAG) is machine  # no policy: the default one
    other = CaseMachine.shared(NEUANTRAG, Policy(kontaktversuche_schwelle=4))
    assert other is not machine and other.policy.kontaktversuche_schwelle == 4
    variants = {id(for_regime(NEUANTRAG, regime)) for regime in builtin()}
    machines = {id(CaseMachine.shared(for_regime(NEUANTRAG, regime))) for regime in builtin()}
    assert len(machines) == len(variants)


def test_cases_stepping_at_once_through_one_machine_each_get_their_own_answer():
    """Threads as the worker's workflow threads: each case runs its own path with its own facts;
    the answers equal those of a machine of its own."""
    policy = Policy(kontaktversuche_schwelle=2)
    machine = CaseMachine.shared(NEUANTRAG, policy)
    telefon = {"art": "telefon"}
    paths = {
        "persoenlich": [("an_clearing_uebergeben", {"uebergabe": "warm"}), ("kontaktversuch_gescheitert", telefon)],
        "online": [
            ("identitaet_bestaetigt", None),
            ("an_clearing_uebergeben", {"uebergabe": "aufgabe"}),
            ("als_rehabilitand_erfasst", None),
        ],
    }

    def walk(antragsweg: str, through: CaseMachine) -> list[str]:
        seen = []
        for _ in range(200):
            state, facts = NEUANTRAG.initial, NEUANTRAG.initial_facts(NeuantragStart(antragsweg=antragsweg))
            for trigger, data in paths[antragsweg]:
                step = through.step(state, facts, trigger, through.payload(trigger, data), NOW)
                state, facts = step.dest, step.facts
            seen.append(state)
        return seen

    expected = {weg: walk(weg, CaseMachine(NEUANTRAG, policy)) for weg in paths}
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = {weg: [pool.submit(walk, weg, machine) for _ in range(3)] for weg in paths}
    assert {weg: [f.result() for f in futures] for weg, futures in runs.items()} == {
        weg: [expected[weg]] * 3 for weg in paths
    }
    assert set(expected["persoenlich"]) != set(expected["online"])  # the two paths end apart
