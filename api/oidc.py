"""OpenID Connect bearer tokens: signature against the issuer's JWKS, then aud, iss, exp, nbf, iat.

PyJWT does the cryptography and the claim checks; this module only chooses the
key (cached JWK Set, one refetch for an unknown kid) without blocking the event
loop, and maps the claims to Fahrplan's user. Tokens are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import jwt
from jwt import PyJWK, PyJWKClient
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError, PyJWKSetError, PyJWTError

from runtime.settings import PARTICIPANT, ROLES, Settings

log = logging.getLogger("fahrplan.auth")

# Asymmetric only: never "none", never HS* (a public key must not become an HMAC secret).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
LEEWAY_SECONDS = 30  # clock skew allowed for exp, nbf and iat
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
FETCH_TIMEOUT_SECONDS = 5
RETRY_AFTER_SECONDS = 5  # after a failed fetch, answer 503 at once for this long instead of queueing on the issuer


class TokenInvalid(Exception):
    """The token is not acceptable (401); `reason` is the German detail."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeysUnavailable(Exception):
    """The issuer's signing keys cannot be fetched right now (503)."""


REASONS: tuple[tuple[type[PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "Das Token ist abgelaufen."),
    (jwt.InvalidAudienceError, "Das Token ist nicht für Fahrplan ausgestellt (aud)."),
    (jwt.InvalidIssuerError, "Das Token stammt nicht vom konfigurierten Anmeldedienst (iss)."),
    (jwt.ImmatureSignatureError, "Das Token ist noch nicht gültig."),
    (jwt.InvalidIssuedAtError, "Das Ausstellungsdatum des Tokens (iat) ist ungültig."),
    (jwt.MissingRequiredClaimError, "Dem Token fehlt eine Pflichtangabe (exp, iat, iss, aud oder sub)."),
    (jwt.InvalidAlgorithmError, "Das Signaturverfahren des Tokens ist nicht zugelassen."),
    (jwt.InvalidSignatureError, "Die Signatur des Tokens ist ungültig."),
)


def _reason(error: PyJWTError) -> str:
    for kind, text in REASONS:
        if isinstance(error, kind):
            return text
    return "Das Token ist ungültig."


def claim(claims: dict[str, Any], path: str) -> Any:
    """A claim by name, else by dotted path ("realm_access.roles"); None when absent."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def known_roles(value: Any) -> frozenset[str]:
    """Fahrplan's roles in a claim value (list, or space-separated string); others are ignored."""
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list | tuple):
        return frozenset()
    return frozenset(r for r in value if isinstance(r, str) and r in ROLES)


class OidcVerifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.keys = PyJWKClient(
            settings.oidc_jwks_url,
            cache_jwk_set=True,
            lifespan=settings.oidc_jwks_cache_seconds,
            cooldown_duration=settings.oidc_jwks_cooldown_seconds,
            timeout=FETCH_TIMEOUT_SECONDS,
        )
        self._fetching = threading.Lock()
        self._down_until = 0.0

    async def verify(self, token: str) -> dict[str, Any]:
        """The verified claims, or TokenInvalid / KeysUnavailable."""
        try:
            header = jwt.get_unverified_header(token)
        except PyJWTError as error:
            raise TokenInvalid("Das Token ist kein gültiges JWT.") from error
        if header.get("alg") not in ALGORITHMS:
            raise TokenInvalid("Das Signaturverfahren des Tokens ist nicht zugelassen.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenInvalid("Dem Token fehlt die Schlüsselkennung (kid).")
        key = self._cached_key(kid) or await asyncio.to_thread(self._fetch_key, kid)
        try:
            return jwt.decode(
                token,
                key=key,
                algorithms=list(ALGORITHMS),
                audience=self.settings.oidc_audience,
                issuer=self.settings.oidc_issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except PyJWTError as error:
            log.info("OIDC token rejected: %s", type(error).__name__)
            raise TokenInvalid(_reason(error)) from error

    def _cached_key(self, kid: str) -> PyJWK | None:
        """The key from the fresh cached JWK Set, without leaving the event loop."""
        cache = self.keys.jwk_set_cache
        jwk_set = cache.get() if cache is not None else None
        for key in jwk_set.keys if jwk_set is not None else ():
            if key.key_id == kid and key.public_key_use in ("sig", None):
                return key
        return None

    def _fetch_key(self, kid: str) -> PyJWK:
        """In a worker thread: refetch the JWK Set if needed (PyJWKClient limits refetches for unknown kids)."""
        with self._fetching:
            if time.monotonic() < self._down_until:
                raise KeysUnavailable()
            try:
                return self.keys.get_signing_key(kid)
            except (PyJWKClientConnectionError, PyJWKSetError) as error:
                self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
                log.warning("OIDC signing keys not available from %s: %s", self.keys.uri, type(error).__name__)
                raise KeysUnavailable() from error
            except PyJWKClientError as error:
                if self._cached_key_count() == 0:  # the issuer answered, but with no usable signing key
                    log.warning("OIDC key set from %s has no usable signing key", self.settings.oidc_jwks_url)
                    raise KeysUnavailable() from error
                log.info("OIDC token rejected: unknown kid")
                raise TokenInvalid("Der Signaturschlüssel des Tokens ist unbekannt.") from error

    def _cached_key_count(self) -> int:
        cache = self.keys.jwk_set_cache
        jwk_set = cache.get() if cache is not None else None
        return sum(1 for k in jwk_set.keys if k.key_id and k.public_key_use in ("sig", None)) if jwk_set else 0

    def user_fields(self, claims: dict[str, Any]) -> tuple[str, frozenset[str], str | None]:
        """(user, roles, case_id) from verified claims."""
        name = claim(claims, self.settings.oidc_user_claim)
        user = name if isinstance(name, str) and name else str(claims["sub"])
        roles = known_roles(claim(claims, self.settings.oidc_roles_claim))
        case_id = claim(claims, self.settings.oidc_case_claim) if PARTICIPANT in roles else None
        return user, roles, case_id if isinstance(case_id, str) and case_id else None
