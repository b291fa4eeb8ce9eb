"""The audit chain's keys from the settings (runtime/audit_keys.py): created once in local mode
(0600), required outside it, rotated by key id."""

from __future__ import annotations

import base64
import json
import stat
from datetime import UTC, datetime

import pytest

from persistence.audit import ChainKeys
from persistence.open import open_database
from runtime import audit_keys
from runtime.audit_keys import LOCAL_KEY_ID, keys_file, new_key
from runtime.settings import Settings

PRODUCTION = {
    "mode": "production",
    "database_url": "sqlite:///x.db",
    "oidc_issuer": "https://idp",
    "oidc_audience": "f",
    "oidc_jwks_url": "https://idp/jwks",
}


def chain_keys(settings: Settings) -> ChainKeys:
    """The keys of the settings as the database gets them (persistence/open.py)."""
    return ChainKeys(*audit_keys.chain_keys(settings))


def test_local_mode_creates_key_file_0600_once_and_keeps_it(tmp_path):
    settings = Settings(data_dir=tmp_path / "var")
    keys = chain_keys(settings)
    path = keys_file(settings)
    assert keys.active == LOCAL_KEY_ID and keys.key_ids == [LOCAL_KEY_ID]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(base64.b64decode(json.loads(path.read_text())[LOCAL_KEY_ID])) == 32
    row = {"case_id": "c", "sequence": 0, "trigger": "t", "from_state": None, "to_state": "s", "actor": "a"}
    row |= {"role": "r", "comment_digest": None, "data": {}, "occurred_at": datetime.now(UTC)}
    again = chain_keys(settings)  # the next start reads the same key
    assert again.seal(row, "0" * 64, LOCAL_KEY_ID) == keys.seal(row, "0" * 64, LOCAL_KEY_ID)


def test_production_without_audit_keys_refuses_to_start(tmp_path):
    settings = Settings(**PRODUCTION, data_dir=tmp_path)
    with pytest.raises(ValueError, match="FAHRPLAN_AUDIT_KEYS must be set outside local mode"):
        chain_keys(settings)
    with pytest.raises(ValueError, match="FAHRPLAN_AUDIT_KEYS"):
        open_database(settings)  # what worker, API and `fahrplan up` open
    assert not keys_file(settings).exists()


def test_configured_keys_rotate_by_key_id(tmp_path):
    old, new = new_key(), new_key()
    settings = Settings(
        **PRODUCTION, data_dir=tmp_path, audit_keys={"2026-11": old, "2027-01": new}, audit_key_id="2027-01"
    )
    keys = chain_keys(settings)
    assert (keys.active, keys.key_ids) == ("2027-01", ["2026-11", "2027-01"])
    with pytest.raises(ValueError, match="FAHRPLAN_AUDIT_KEY_ID must name"):
        chain_keys(Settings(**PRODUCTION, data_dir=tmp_path, audit_keys={"a": old, "b": new}))
    assert chain_keys(Settings(**PRODUCTION, data_dir=tmp_path, audit_keys={"a": old})).active == "a"


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"a": "kein base64!"}, "not valid base64"),
        ({"a": base64.b64encode(b"kurz").decode()}, "at least 32 bytes"),
        ({"sha256": new_key()}, "not 'sha256'"),  # the marker of the unkeyed events
    ],
)
def test_bad_audit_keys_refused(tmp_path, keys, message):
    with pytest.raises(ValueError, match=message):
        chain_keys(Settings(**PRODUCTION, data_dir=tmp_path, audit_keys=keys))


def test_keys_never_in_repr(tmp_path):
    keys = chain_keys(Settings(data_dir=tmp_path))
    secret = json.loads(keys_file(Settings(data_dir=tmp_path)).read_text())[LOCAL_KEY_ID]
    assert secret not in repr(keys) and LOCAL_KEY_ID in repr(keys)
