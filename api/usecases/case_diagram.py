"""A case's diagram for the case page: its state highlighted, the steps the viewer may take now
marked (runtime/svg.py case_svg), drawn as the process exists under the case's regime (R61),
laid out with the case's own policy."""

from __future__ import annotations

from api.usecases import access
from api.usecases.actors import User
from api.usecases.policies import CasePolicies
from persistence.db import Database
from runtime.svg import case_svg_async


class CaseDiagrams:
    def __init__(self, db: Database, policies: CasePolicies):
        self.db, self.policies = db, policies

    async def svg(self, case_id: str, user: User) -> str:
        """UNKNOWN for a case the caller may not read, like every read."""
        async with self.db.unit_of_work(read_only=True) as session:
            case = await access.readable_case(session, user, case_id)
            process, state, final, facts = case.process, case.state, case.final, case.facts
            policy_id, regime = case.policy_id, case.regime
        machine = await self.policies.machine(process, policy_id, regime)  # as the case's workflow decides
        allowed = [] if final else machine.allowed(state, machine.process.facts.model_validate(facts), user.roles)
        return await case_svg_async(process, state, allowed, machine.policy, self.policies.regime(regime))
