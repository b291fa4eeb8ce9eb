"""The decode-only credential of the Temporal UI: a signed, expiring cookie.

The dev server's UI cannot log in and would pass no token; a staff token in the codec URL was
readable by anyone (`ps`, the UI's unauthenticated /api/v1/settings, access logs). Instead a
person signs in once on Fahrplan's page /codec/anmelden (api/codec_login.py) with a token that
has a codec role and gets this cookie; the UI sends it with "Include cross-origin credentials".

The cookie grants exactly one thing, POST /codec/decode: the API reads bearer tokens from the
Authorization header only, the cookie's Path is /codec, and /codec/encode needs a bearer token.
It is HttpOnly and SameSite=Strict (the UI and the API must be the same site: same host in
local mode, one registrable domain in production), Secure over https, and carries the user, the
namespace and the expiry under an HMAC with a key derived from the payload key, so every API
process accepts it and rotating the payload key ends every sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from runtime.codec import ENDPOINT_PATH
from statemachines.roles import DECODE_PAYLOADS

CODEC_ROLES = DECODE_PAYLOADS.roles  # may decode: the team lead reads every case anyway (README "Role matrix")
COOKIE = "fahrplan_codec"
PURPOSE = b"codec sign-in cookie v1"
VERSION = "v1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, user: str, namespace: str, expires: int) -> str:
    message = "\n".join((VERSION, user, namespace, str(expires))).encode()
    return _b64(hmac.new(key, message, hashlib.sha256).digest())


def issue(key: bytes, user: str, namespace: str, seconds: int, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + seconds)
    return ".".join((VERSION, _b64(user.encode()), str(expires), _mac(key, user, namespace, expires)))


def verify(key: bytes, value: str, namespace: str, now: float | None = None) -> str | None:
    """The user the cookie was issued to, or None when it is forged, expired or for another namespace."""
    try:
        version, user_b64, expires_text, mac = value.split(".")
        user, expires = _unb64(user_b64).decode(), int(expires_text)
    except (ValueError, UnicodeDecodeError):
        return None
    if version != VERSION or not hmac.compare_digest(mac, _mac(key, user, namespace, expires)):
        return None
    return user if expires > (time.time() if now is None else now) else None


def set_cookie_header(value: str, seconds: int, secure: bool) -> str:
    attributes = f"Path={ENDPOINT_PATH}; Max-Age={seconds}; HttpOnly; SameSite=Strict" + ("; Secure" if secure else "")
    return f"{COOKIE}={value}; {attributes}"


def clear_cookie_header(secure: bool) -> str:
    return set_cookie_header("", 0, secure)
