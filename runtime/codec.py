"""AES-256-GCM encryption of every payload Fahrplan hands to Temporal.

Each payload (workflow and activity inputs and results, update and signal
arguments, query results, memos, summaries and details, failure messages and
stack traces) is serialized as a `Payload` proto and encrypted into a new payload
with the metadata `encoding: binary/encrypted` and `encryption-key-id: <kid>`;
its data is a fresh 12-byte nonce followed by the ciphertext. The key id is also
the associated data, so a payload cannot be passed off under another key id.

Keys rotate: `codec_keys` holds every key that may still be needed to decrypt,
`codec_key_id` names the one new payloads are encrypted with. Payloads without
the encrypted encoding (histories written before encryption) pass through
`decode` unchanged in local mode; outside it they are refused (decoded to `REFUSED_ENCODING`,
which no converter reads: an update carrying one is rejected, a signal dropped) unless
FAHRPLAN_CODEC_ACCEPT_PLAIN is set while such histories still run. Search attributes are not payloads: they stay plain.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from runtime.files import ensure_key_file
from runtime.settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32
LOCAL_KEY_ID = "lokal-1"
# Where the API serves Temporal's remote codec protocol (api/routes/codec.py); `fahrplan up` hands
# this URL to the dev server's UI, so both entry points take it from here.
ENDPOINT_PATH = "/codec"


class CodecError(ValueError):
    """A payload cannot be decrypted: unknown key id, or data that is not ours / tampered with."""


class UnknownKey(CodecError):
    def __init__(self, key_id: str, known: Sequence[str]):
        super().__init__(
            f"payload encrypted with key id {key_id!r}, which is not configured "
            f"(known: {', '.join(sorted(known)) or 'none'}); add it to FAHRPLAN_CODEC_KEYS"
        )
        self.key_id = key_id


# What a refused plain payload decodes to: an encoding no payload converter knows, so turning it
# into a value fails where that is answered cleanly (an update with it is rejected, a signal with it
# dropped) instead of failing the whole workflow task.
REFUSED_ENCODING = b"fahrplan/unencrypted-refused"


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: Mapping[str, bytes], active: str, accept_plain: bool = True):
        if active not in keys:
            raise ValueError(
                f"FAHRPLAN_CODEC_KEY_ID {active!r} is not among FAHRPLAN_CODEC_KEYS ({', '.join(sorted(keys))})"
            )
        for kid, key in keys.items():
            if not kid or len(key) != KEY_BYTES:
                raise ValueError(f"codec key {kid!r} must be {KEY_BYTES} bytes (base64 in FAHRPLAN_CODEC_KEYS)")
        self._ciphers = {kid: AESGCM(key) for kid, key in keys.items()}
        self.active = active
        self._active_key = bytes(keys[active])
        # Outside local mode a plain payload is refused: whoever can reach the Temporal port but
        # holds no key cannot hand the worker an update or signal it reads (FAHRPLAN_CODEC_ACCEPT_PLAIN
        # lets histories written before encryption be read while they still run).
        self.accept_plain = accept_plain

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._ciphers)

    def derived_key(self, purpose: bytes) -> bytes:
        """A 32-byte key for another purpose (HMAC-SHA256 of the active key over `purpose`), so every
        process holding the payload keys agrees on it without a further secret; never the key itself."""
        return hmac.new(self._active_key, b"fahrplan derived key: " + purpose, hashlib.sha256).digest()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") == ENCODING:
            return payload  # already encrypted: never twice
        kid = self.active.encode()
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.active].encrypt(nonce, payload.SerializeToString(deterministic=True), kid)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: kid}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            if not self.accept_plain:  # outside local mode: refused, its content never reaches the code
                return Payload(metadata={"encoding": REFUSED_ENCODING})
            return payload  # written before encryption (or by another codec): unchanged
        kid = payload.metadata.get(KEY_ID, b"").decode("utf-8", "replace")
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise UnknownKey(kid, list(self._ciphers))
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, kid.encode())
        except (InvalidTag, ValueError):
            raise CodecError(f"payload with key id {kid!r} does not decrypt: wrong key or altered data") from None
        return Payload.FromString(plain)


def parse_keys(raw: Mapping[str, str]) -> dict[str, bytes]:
    """{kid: base64} -> {kid: 32 bytes}; a key of another length is refused."""
    keys = {}
    for kid, text in raw.items():
        try:
            key = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"codec key {kid!r} is not valid base64") from None
        if len(key) != KEY_BYTES:
            raise ValueError(f"codec key {kid!r} must be {KEY_BYTES} bytes, not {len(key)}")
        keys[kid] = key
    return keys


def new_key() -> str:
    """A fresh key as FAHRPLAN_CODEC_KEYS expects it (base64 of 32 random bytes)."""
    return base64.b64encode(AESGCM.generate_key(bit_length=KEY_BYTES * 8)).decode()


def keys_file(settings: Settings) -> Path:
    return settings.data_dir / "codec_keys.json"


def ensure_local_key(settings: Settings) -> dict[str, str]:
    """Local mode: the key file in the data dir, created (mode 0600) on the first start."""
    return ensure_key_file(keys_file(settings), LOCAL_KEY_ID, new_key)


def codec_from_settings(settings: Settings) -> EncryptionCodec:
    """The codec of the settings. Outside local mode the keys must be configured; in local
    mode the key file of the data dir is created when needed and always kept for decoding."""
    raw = {kid: secret.get_secret_value() for kid, secret in settings.codec_keys.items()}
    active = settings.codec_key_id
    if settings.mode == "local" and (not raw or keys_file(settings).exists()):
        local = ensure_local_key(settings)
        raw = {**local, **raw}
        active = active or (next(iter(local)) if not settings.codec_keys else "")
    if not raw:
        raise ValueError("FAHRPLAN_CODEC_KEYS must be set outside local mode (payload encryption keys)")
    if not active:
        if len(settings.codec_keys) != 1:
            raise ValueError("FAHRPLAN_CODEC_KEY_ID must name the key new payloads are encrypted with")
        active = next(iter(settings.codec_keys))
    return EncryptionCodec(parse_keys(raw), active, settings.mode == "local" or settings.codec_accept_plain)


def endpoint_url(settings: Settings) -> str:
    """The codec endpoint of the API of these settings, as a browser on this machine reaches it."""
    host = "127.0.0.1" if settings.api_host in ("0.0.0.0", "::", "") else settings.api_host
    return f"http://{host}:{settings.api_port}{ENDPOINT_PATH}"
