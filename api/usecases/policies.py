"""Each case's policy and regime, and the machines that decide with them.

A case's workflow decides with the policy and the legal regime (R61) the case started with or
was moved to (its input, carried over at continue-as-new and into the cases it opens). To offer
the same triggers the API builds its machines with both too: the policy is stored at the start
(`cases.policy_id`, persistence/policies.py), the regime beside it (`cases.regime`); a change of
regime updates both (activities/cases.py). Machines are cached per process, policy and regime.
Cases started before migration 0007 have no policy: they get the current settings' policy;
cases from before 0010 have no regime: they run under buergergeld_2023 (regimes.LEGACY).
Policies are few (one per settings change and regime) and immutable, so the caches are never cleared.

New cases: `regime_on(day)` is the regime in force on the case's legal start date (or the pinned
one, FAHRPLAN_REGIME), `policy_for(regime)` its values with the environment's overrides.
"""

from __future__ import annotations

from datetime import date

from persistence import policies
from persistence.db import Database
from runtime.settings import Settings
from statemachines import PROCESSES, CaseMachine, Policy
from statemachines.regimes import LEGACY, Regime, for_regime


class CasePolicies:
    def __init__(self, db: Database, settings: Settings):
        self._db = db
        self.settings = settings
        self.regimes = settings.regimes()
        self.current = settings.policy  # the settings' policy, for cases from before 0007
        self.current_id = policies.policy_id(policies.policy_values(self.current))
        self._policies: dict[str, Policy] = {self.current_id: self.current}
        self._machines: dict[tuple[str, str, str | None], CaseMachine] = {}

    def regime_on(self, day: date) -> Regime:
        """The regime a case whose legal start is `day` starts under."""
        if self.settings.regime:
            return self.regimes.get(self.settings.regime)
        return self.regimes.in_force(day)

    def regime(self, name: str | None) -> Regime:
        """A case's regime by the name it stores (None: before 0010, the 2023 law)."""
        if name is None:
            return LEGACY
        return self.regimes.by_name.get(name) or (LEGACY if name == LEGACY.name else Regime(name=name))

    def policy_for(self, regime: Regime) -> Policy:
        return self.settings.regime_policy(regime)

    async def policy(self, policy_id: str | None) -> Policy:
        """The stored policy (None: a case from before 0007, the current one)."""
        key = policy_id or self.current_id
        found = self._policies.get(key)
        if found is None:
            found = await self._db.run(lambda session: policies.load(session, key), read_only=True)
            if found is None:  # cases.policy_id references policies: only a broken database gets here
                raise LookupError(f"policy {key} not stored")
            self._policies[key] = found
        return found

    async def machine(self, process: str, policy_id: str | None, regime: str | None = None) -> CaseMachine:
        """The machine that decides like the case's workflow."""
        key = policy_id or self.current_id
        machine = self._machines.get((process, key, regime))
        if machine is None:
            policy = await self.policy(key)
            machine = self.machine_for(process, policy, self.regime(regime), key)
        return machine

    def cached_machine(self, process: str, policy_id: str | None, regime: str | None = None) -> CaseMachine | None:
        """The machine `machine` would give, when it needs no database read; else None."""
        return self._machines.get((process, policy_id or self.current_id, regime))

    def machine_for(self, process: str, policy: Policy, regime: Regime, key: str | None = None) -> CaseMachine:
        cache = (process, key or policies.policy_id(policies.policy_values(policy), regime.name), regime.name)
        machine = self._machines.get(cache)
        if machine is None:
            machine = self._machines[cache] = CaseMachine(for_regime(PROCESSES[process], regime), policy)
        return machine
