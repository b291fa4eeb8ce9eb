"""Authentication behind one dependency (`current_user`).

For now: static bearer tokens from FAHRPLAN_API_TOKENS (in local mode also the
tokens file `fahrplan up` writes on first start). A later issue adds OIDC here.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request

from api.errors import Problem


@dataclass(frozen=True)
class User:
    user: str
    roles: frozenset[str]


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
            return User(user=who.user, roles=frozenset(who.roles))
    raise _unauthorized("Unbekanntes oder ungültiges Token.")
