"""Authentication behind one dependency (`current_user`).

OIDC bearer tokens when FAHRPLAN_OIDC_ISSUER is set (api/oidc.py). Static
tokens (FAHRPLAN_API_TOKENS and the tokens file `fahrplan up` writes) only in
local mode: outside it the settings refuse them and they are not consulted here.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request

from api.errors import Problem
from api.oidc import RETRY_AFTER_SECONDS, KeysUnavailable, OidcVerifier, TokenInvalid
from runtime.settings import PARTICIPANT, Settings


@dataclass(frozen=True)
class User:
    user: str
    roles: frozenset[str]
    case_id: str | None = None  # set for participants (R22): their own case

    @property
    def staff(self) -> bool:
        return bool(self.roles - {PARTICIPANT})


def _unauthorized(detail: str, invalid: bool = True) -> Problem:
    challenge = 'Bearer error="invalid_token"' if invalid else "Bearer"
    return Problem(401, "unauthorized", "Nicht angemeldet", detail, headers={"WWW-Authenticate": challenge})


def _static_user(request: Request, token: str) -> User | None:
    """Local mode only: the static tokens (compared in constant time)."""
    if request.app.state.settings.mode != "local":
        return None
    tokens: dict = request.app.state.tokens
    for known, who in tokens.items():
        if hmac.compare_digest(known.encode(), token.encode()):
            return User(user=who.user, roles=frozenset(who.roles), case_id=who.case_id)
    return None


async def _oidc_user(verifier: OidcVerifier, token: str) -> User:
    try:
        claims = await verifier.verify(token)
    except TokenInvalid as error:
        raise _unauthorized(error.reason) from None
    except KeysUnavailable:
        raise Problem(
            503, "identity-provider-unavailable", "Anmeldedienst nicht erreichbar",
            "Die Signaturschlüssel des Anmeldedienstes sind gerade nicht abrufbar. Bitte später erneut versuchen.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
    user, roles, case_id = verifier.user_fields(claims)
    if not roles:
        raise Problem(
            403, "role-not-allowed", "Rolle nicht berechtigt", "Dem Zugang ist keine Fahrplan-Rolle zugeordnet."
        )
    return User(user=user, roles=roles, case_id=case_id)


async def current_user(request: Request) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("Bearer-Token fehlt.", invalid=False)
    user = _static_user(request, token)
    if user is not None:
        return user
    verifier: OidcVerifier | None = getattr(request.app.state, "oidc", None)
    if verifier is not None:
        return await _oidc_user(verifier, token)
    raise _unauthorized("Unbekanntes oder ungültiges Token.")


def oidc_verifier(settings: Settings) -> OidcVerifier | None:
    """One per app (it holds the cached signing keys); None when OIDC is not configured."""
    return OidcVerifier(settings) if settings.oidc_enabled else None


async def staff_user(request: Request) -> User:
    """Staff only: participants see nothing but their own bookings."""
    user = await current_user(request)
    if not user.staff:
        raise Problem(403, "role-not-allowed", "Rolle nicht berechtigt", "Nur für Mitarbeitende des Jobcenters.")
    return user
