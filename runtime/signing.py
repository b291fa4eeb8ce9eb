"""Signed transition requests: the workflow trusts no caller (DESIGN.md, issue 13 item 2).

Anyone who reaches the Temporal frontend (the UI's update action, the CLI, a raw client) can
send a `transition` update. So the API signs every transition request with HMAC-SHA256 over
the case id, the process, the trigger, the canonical JSON of the data, the role, the request
id and the time it was issued, under a key only the API and the worker hold; the update's
validator (workflows/host.py) refuses a request that is unsigned, signed with an unknown key
or signed for anything else. The signature binds the request id to its case and trigger, so
a signed request replayed on another case or as another trigger is refused. Who asked and
why stay in the database (`transition_requests`), reached through the request id only.

Keys (FAHRPLAN_SIGNING_KEYS, FAHRPLAN_SIGNING_KEY_ID) are handled like the audit keys:
production refuses to start without them; local mode creates `<data_dir>/signing_keys.json`
(0600) once. To rotate, add a key under a new id, restart the workers (they verify with every
key), then switch FAHRPLAN_SIGNING_KEY_ID of the API; remove the old key when no request
signed with it can still be in flight.

How the key reaches the workflow without entering its history: the worker installs the keys
in this module (`install`) before it starts; the workflow code imports this module passed
through the sandbox (workflows/runner.py), so the validator reads the same process-wide
keys. That is safe because update validators never run on replay: a key rotation cannot
change how a recorded history replays, and nothing derived from a key is ever written to a
history. An interceptor was the alternative; the validator keeps the check next to the other
checks of the request and refuses it before anything is written (a refused update leaves no
trace in the history).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runtime.files import ensure_key_file
from runtime.settings import Settings

LOCAL_KEY_ID = "lokal-1"
KEY_BYTES = 32
SEPARATOR = ":"


class SigningKeys:
    """The keys that verify (all) and the one that signs (the active one). Never printed."""

    def __init__(self, keys: Mapping[str, bytes], active: str):
        if active not in keys:
            raise ValueError(f"FAHRPLAN_SIGNING_KEY_ID {active!r} is not among FAHRPLAN_SIGNING_KEYS")
        for kid, key in keys.items():
            if not kid or SEPARATOR in kid or len(key) < KEY_BYTES:
                raise ValueError(f"signing key {kid!r}: an id without ':' and at least {KEY_BYTES} bytes")
        self._keys = dict(keys)
        self.active = active

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._keys)

    def __repr__(self) -> str:
        return f"SigningKeys(key_ids={self.key_ids}, active={self.active!r})"

    def sign(self, message: bytes) -> str:
        mac = hmac.new(self._keys[self.active], message, hashlib.sha256).hexdigest()
        return f"{self.active}{SEPARATOR}{mac}"

    def verify(self, message: bytes, signature: str | None) -> bool:
        if not signature or SEPARATOR not in signature:
            return False
        kid, mac = signature.split(SEPARATOR, 1)
        key = self._keys.get(kid)
        if key is None:
            return False
        return hmac.compare_digest(hmac.new(key, message, hashlib.sha256).hexdigest(), mac)


def canonical(
    *,
    case_id: str,
    process: str,
    trigger: str,
    data: Mapping[str, Any],
    role: str,
    request_id: str | None,
    issued_at: str | None,
) -> bytes:
    """What is signed: every field the workflow acts on, the data as canonical JSON (the data as
    it travels: JSON values, so both sides see the same text)."""
    fields = [
        "fahrplan-transition-v1",
        case_id,
        process,
        trigger,
        json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
        role,
        request_id,
        issued_at,
    ]
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()


REGIME_UPDATE = "regime_wechseln"


def regime_message(workflow_id: str, content: Mapping[str, Any], issued_at: str | None) -> bytes:
    """What the operator command signs for the update `regime_wechseln` (R62): the regime and
    policy it carries, bound to the case's workflow like a transition's data, so the Temporal port
    cannot move a case to a regime or policy of its own making."""
    return canonical(
        case_id=workflow_id,
        process="",
        trigger=REGIME_UPDATE,
        data=content,
        role="system",
        request_id=None,
        issued_at=issued_at,
    )


def issued_now() -> str:
    return datetime.now(UTC).isoformat()


# --- the keys of this process -------------------------------------------------------------

_installed: SigningKeys | None = None


def install(keys: SigningKeys | None) -> None:
    """The worker's keys, for the update validators of this process (see the module docstring)."""
    global _installed
    _installed = keys


def installed() -> SigningKeys | None:
    return _installed


# --- keys from the settings ---------------------------------------------------------------


def keys_file(settings: Settings) -> Path:
    return settings.data_dir / "signing_keys.json"


def new_key() -> str:
    """A fresh key as FAHRPLAN_SIGNING_KEYS expects it: base64 of 32 random bytes."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def parse_keys(raw: Mapping[str, str]) -> dict[str, bytes]:
    keys = {}
    for kid, text in raw.items():
        try:
            keys[kid] = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"signing key {kid!r} is not valid base64") from None
    return keys


def keys_from_settings(settings: Settings) -> SigningKeys:
    """Outside local mode the keys must be configured; local mode creates its key file once."""
    raw = {kid: secret.get_secret_value() for kid, secret in settings.signing_keys.items()}
    active = settings.signing_key_id
    if settings.mode == "local" and not raw:
        raw = ensure_key_file(keys_file(settings), LOCAL_KEY_ID, new_key)
        active = active or next(iter(raw))
    if not raw:
        raise ValueError("FAHRPLAN_SIGNING_KEYS must be set outside local mode (the keys of signed transitions)")
    if not active:
        if len(raw) != 1:
            raise ValueError("FAHRPLAN_SIGNING_KEY_ID must name the key the API signs transitions with")
        active = next(iter(raw))
    return SigningKeys(parse_keys(raw), active)


# Tests only: a fixed, public key (like runtime.temporal.TEST_KEY) that protects nothing.
TEST_KEY_ID = "test-nicht-geheim"
TEST_KEY = base64.b64encode(hashlib.sha256(b"fahrplan signing test key, not secret").digest()).decode()
