"""Authentication behind one dependency (`current_user`); staff who sign in are recorded in the
staff directory (persistence/staff.py), whose ids are the only ones staff-id fields accept.

OIDC bearer tokens when FAHRPLAN_OIDC_ISSUER is set (api/oidc.py). Participant accesses (tokens
starting "tn_", issued per case by a Jobcoach or IFK) in every mode. Static
tokens (FAHRPLAN_API_TOKENS and the tokens file `fahrplan up` writes) only in
local mode: outside it the settings refuse them and they are not consulted here.
"""

from __future__ import annotations

import hmac
import logging
from datetime import UTC, datetime

from fastapi import Request

from api.errors import unauthorized
from api.oidc import RETRY_AFTER_SECONDS, KeysUnavailable, OidcVerifier, TokenInvalid
from api.usecases.actors import User
from persistence.staff import remember_staff
from runtime.settings import PARTICIPANT, Settings
from statemachines.refusals import DomainError, Refusal, role_not_allowed

__all__ = ["User", "current_user", "oidc_verifier", "staff_user"]

log = logging.getLogger("fahrplan.api")


def _static_user(request: Request, token: str) -> User | None:
    """Local mode only: the static tokens (compared in constant time)."""
    if request.app.state.settings.mode != "local":
        return None
    tokens: dict = request.app.state.tokens
    for known, who in tokens.items():
        if hmac.compare_digest(known.encode(), token.encode()):
            return User(user=who.user, roles=frozenset(who.roles), case_id=who.case_id)
    return None


async def _participant_user(request: Request, token: str) -> User | None:
    """A participant access a Jobcoach or IFK issued (api/usecases/teilnehmendenzugang.py), in every mode."""
    usecases = getattr(request.app.state, "usecases", None)
    return await usecases.zugaenge.user_for(token) if usecases is not None else None


async def _oidc_user(verifier: OidcVerifier, token: str) -> User:
    try:
        claims = await verifier.verify(token)
    except TokenInvalid as error:
        raise unauthorized(error.reason) from None
    except KeysUnavailable:
        raise DomainError(
            Refusal.UNAVAILABLE,
            "identity-provider-unavailable",
            "Anmeldedienst nicht erreichbar",
            "Die Signaturschlüssel des Anmeldedienstes sind gerade nicht abrufbar. Bitte später erneut versuchen.",
            retry_after=RETRY_AFTER_SECONDS,
        ) from None
    user, roles, case_id = verifier.user_fields(claims)
    if not roles:
        raise role_not_allowed("Dem Zugang ist keine Fahrplan-Rolle zugeordnet.")
    return User(user=user, roles=roles, case_id=case_id)


async def current_user(request: Request) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("Bearer-Token fehlt.", invalid=False)
    return await authenticate(request, token)


async def authenticate(request: Request, token: str) -> User:
    """The user behind a token, however it arrived (header, or the codec sign-in form)."""
    user = _static_user(request, token)
    if user is None:
        user = await _participant_user(request, token)
    if user is None:
        verifier: OidcVerifier | None = getattr(request.app.state, "oidc", None)
        if verifier is None:
            raise unauthorized("Unbekanntes oder ungültiges Token.")
        user = await _oidc_user(verifier, token)
    await _remember_staff(request, user)
    return user


async def _remember_staff(request: Request, user: User) -> None:
    """The staff directory (persistence/staff.py) learns who signs in: once per process, user and
    role set, so a request costs no write. A failure to record never refuses the request."""
    if not user.staff:
        return
    state = request.app.state
    seen: set | None = getattr(state, "staff_seen", None)
    if seen is None:
        seen = state.staff_seen = set()
    key = (user.user, user.roles)
    db = getattr(state, "db", None)
    if key in seen or db is None:
        return
    try:
        async with db.unit_of_work() as session:
            await remember_staff(session, user.user, user.roles - {PARTICIPANT}, datetime.now(UTC))
    except Exception as error:  # noqa: BLE001 - the directory catches up at the next sign-in
        log.warning("staff directory not updated: %s", type(error).__name__)
        return
    seen.add(key)


def oidc_verifier(settings: Settings) -> OidcVerifier | None:
    """One per app (it holds the cached signing keys); None when OIDC is not configured."""
    return OidcVerifier(settings) if settings.oidc_enabled else None


async def staff_user(request: Request) -> User:
    """Staff only: participants see nothing but their own bookings."""
    user = await current_user(request)
    if not user.staff:
        raise role_not_allowed("Nur für Mitarbeitende des Jobcenters.")
    return user
