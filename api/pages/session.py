"""The workbench session: a signed, expiring cookie and the CSRF token bound to it.

The cookie carries the user, their roles (and a participant's case), a random session id and
the expiry under an HMAC with a key derived from the payload key (as api/codec_session.py
does), so every API process accepts it and rotating the payload key ends every sign-in. It is
HttpOnly, SameSite=Strict, Path=/ and Secure over https; the expiry is checked here, on the
server, whatever the browser keeps. Signing out records the session id as ended until its
expiry (per process; a restart or another process still honours an unexpired cookie until
its expiry, at most the session timeout).

The CSRF token of a session is an HMAC of its session id: every form carries it and every
POST is checked against it (a form from another site cannot know it; SameSite=Strict already
keeps the cookie off cross-site posts).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from api.usecases.actors import User

COOKIE = "fahrplan_sitzung"
PURPOSE = b"workbench session cookie v1"
VERSION = "s1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, body: str) -> str:
    return _b64(hmac.new(key, f"{purpose}\n{body}".encode(), hashlib.sha256).digest())


@dataclass(frozen=True)
class Session:
    user: User
    sid: str
    expires: int

    def csrf(self, key: bytes) -> str:
        return _mac(key, "csrf", self.sid)

    def csrf_ok(self, key: bytes, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token.encode(), self.csrf(key).encode())


def issue(key: bytes, user: User, seconds: int, now: float | None = None) -> tuple[str, Session]:
    expires = int((time.time() if now is None else now) + seconds)
    sid = secrets.token_urlsafe(16)
    payload = {"u": user.user, "r": sorted(user.roles), "c": user.case_id, "s": sid, "e": expires}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{VERSION}.{body}.{_mac(key, VERSION, body)}", Session(user, sid, expires)


def verify(key: bytes, value: str, now: float | None = None) -> Session | None:
    """The session the cookie stands for, or None when it is forged, malformed or expired."""
    try:
        version, body, mac = value.split(".")
    except ValueError:
        return None
    if version != VERSION or not hmac.compare_digest(mac.encode(), _mac(key, VERSION, body).encode()):
        return None
    try:
        data = json.loads(_unb64(body))
        user = User(user=str(data["u"]), roles=frozenset(map(str, data["r"])), case_id=data["c"])
        session = Session(user, str(data["s"]), int(data["e"]))
    except (ValueError, KeyError, TypeError):
        return None
    return session if session.expires > (time.time() if now is None else now) else None


def cookie_header(name: str, value: str, seconds: int, secure: bool, same_site: str = "Strict", path: str = "/") -> str:
    attributes = f"Path={path}; Max-Age={seconds}; HttpOnly; SameSite={same_site}" + ("; Secure" if secure else "")
    return f"{name}={value}; {attributes}"


def seal(key: bytes, purpose: str, data: dict) -> str:
    """A small signed value for other short-lived cookies (the pending OIDC sign-in)."""
    body = _b64(json.dumps(data, separators=(",", ":")).encode())
    return f"{body}.{_mac(key, purpose, body)}"


def unseal(key: bytes, purpose: str, value: str) -> dict | None:
    body, _, mac = value.partition(".")
    if not mac or not hmac.compare_digest(mac.encode(), _mac(key, purpose, body).encode()):
        return None
    try:
        data = json.loads(_unb64(body))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
