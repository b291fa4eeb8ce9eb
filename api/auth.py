"""Authentication behind one dependency (`current_user`).

For now: static bearer tokens from FAHRPLAN_API_TOKENS (in local mode also the
tokens file `fahrplan up` writes on first start). A later issue adds OIDC here.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request

from api.errors import Problem
from runtime.settings import PARTICIPANT


@dataclass(frozen=True)
class User:
    user: str
    roles: frozenset[str]
    case_id: str | None = None  # set for participants (R22): their own case

    @property
    def staff(self) -> bool:
        return bool(self.roles - {PARTICIPANT})


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", "Nicht angemeldet", detail, headers={"WWW-Authenticate": "Bearer"})


def current_user(request: Request) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("Bearer-Token fehlt.")
    tokens: dict = request.app.state.tokens
    for known, who in tokens.items():
        if hmac.compare_digest(known.encode(), token.strip().encode()):
            return User(user=who.user, roles=frozenset(who.roles), case_id=who.case_id)
    raise _unauthorized("Unbekanntes oder ungültiges Token.")


def staff_user(request: Request) -> User:
    """Staff only: participants see nothing but their own bookings."""
    user = current_user(request)
    if not user.staff:
        raise Problem(403, "role-not-allowed", "Rolle nicht berechtigt", "Nur für Mitarbeitende des Jobcenters.")
    return user
