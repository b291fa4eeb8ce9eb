"""The audit chain's keys from the settings (FAHRPLAN_AUDIT_KEYS, FAHRPLAN_AUDIT_KEY_ID).

Handled like the payload keys (runtime/codec.py): production refuses to start without
them; local mode creates `<data_dir>/audit_keys.json` (0600) on the first start and keeps
using it. To rotate, add a new key under a new id and switch FAHRPLAN_AUDIT_KEY_ID to it:
new events are hashed with it, the old key only verifies. Never remove a key while events
hashed with it exist (that is: never, unless those events are gone): `fahrplan audit verify`
reports their key id as not configured. The keys must not be readable by whoever can
write the database, or they protect nothing.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from pathlib import Path

from runtime.files import ensure_key_file
from runtime.settings import Settings

LOCAL_KEY_ID = "lokal-1"
KEY_BYTES = 32


def keys_file(settings: Settings) -> Path:
    return settings.data_dir / "audit_keys.json"


def new_key() -> str:
    """A fresh key as FAHRPLAN_AUDIT_KEYS expects it: base64 of 32 random bytes."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def parse_keys(raw: dict[str, str]) -> dict[str, bytes]:
    keys = {}
    for kid, text in raw.items():
        try:
            key = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"audit key {kid!r} is not valid base64") from None
        if len(key) < KEY_BYTES:
            raise ValueError(f"audit key {kid!r} must have at least {KEY_BYTES} bytes, not {len(key)}")
        keys[kid] = key
    return keys


def chain_keys(settings: Settings) -> tuple[dict[str, bytes], str]:
    """The keys of the settings and the active key id (persistence.audit.ChainKeys takes them).
    Outside local mode they must be configured; in local mode the
    key file of the data dir is created when needed and always kept for verifying."""
    raw = {kid: secret.get_secret_value() for kid, secret in settings.audit_keys.items()}
    active = settings.audit_key_id
    if settings.mode == "local" and (not raw or keys_file(settings).exists()):
        local = ensure_key_file(keys_file(settings), LOCAL_KEY_ID, new_key)
        raw = {**local, **raw}
        active = active or (next(iter(local)) if not settings.audit_keys else "")
    if not raw:
        raise ValueError("FAHRPLAN_AUDIT_KEYS must be set outside local mode (the keys of the audit chain)")
    if not active:
        if len(settings.audit_keys) != 1:
            raise ValueError("FAHRPLAN_AUDIT_KEY_ID must name the key new audit events are hashed with")
        active = next(iter(settings.audit_keys))
    return parse_keys(raw), active
