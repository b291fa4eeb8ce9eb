"""Who acts: a user with their Fahrplan roles, from a token (api/auth.py) or, later, a page login."""

from __future__ import annotations

from dataclasses import dataclass

from statemachines.roles import PARTICIPANT


@dataclass(frozen=True)
class User:
    user: str
    roles: frozenset[str]
    case_id: str | None = None  # set for participants (R22): their own case

    @property
    def staff(self) -> bool:
        return bool(self.roles - {PARTICIPANT})
