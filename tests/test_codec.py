"""Payload encryption (runtime/codec.py) and the codec endpoint for the Temporal UI (/codec)."""

from __future__ import annotations

import base64
import json
import stat

import httpx
import pytest
from temporalio.api.common.v1 import Payload

from api.app import create_app
from runtime.codec import ENCODING, KEY_ID, EncryptionCodec, UnknownKey, codec_from_settings, keys_file, new_key
from runtime.settings import Settings
from runtime.temporal import DATA_CONVERTER, TEST_KEY_ID, data_converter
from tests.api_fixtures import TOKENS, auth
from workflows.messages import CaseInput

UI = "http://127.0.0.1:8233"
KEY_A, KEY_B = bytes(range(32)), bytes(range(32, 64))


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())


async def test_encrypts_every_payload_and_decodes_it_back():
    codec = EncryptionCodec({"a": KEY_A}, "a")
    original = [plain("Fall 42"), plain("Fall 43")]
    sealed = await codec.encode(original)
    assert all(p.metadata["encoding"] == ENCODING and p.metadata[KEY_ID] == b"a" for p in sealed)
    assert all(b"Fall" not in p.data for p in sealed)
    assert sealed[0].data[:12] != sealed[1].data[:12]  # a fresh nonce per payload
    assert await codec.decode(sealed) == original


async def test_rotation_old_key_decodes_new_key_encodes():
    old = await EncryptionCodec({"a": KEY_A}, "a").encode([plain("alt")])
    rotated = EncryptionCodec({"a": KEY_A, "b": KEY_B}, "b")
    assert await rotated.decode(old) == [plain("alt")]
    assert (await rotated.encode([plain("neu")]))[0].metadata[KEY_ID] == b"b"
    with pytest.raises(UnknownKey, match=r"'b'.*FAHRPLAN_CODEC_KEYS"):
        await EncryptionCodec({"a": KEY_A}, "a").decode(await rotated.encode([plain("neu")]))


async def test_plain_payloads_from_old_histories_pass_through():
    codec = EncryptionCodec({"a": KEY_A}, "a")
    assert await codec.decode([plain("vorher")]) == [plain("vorher")]


async def test_tampered_or_relabelled_payload_is_refused():
    codec = EncryptionCodec({"a": KEY_A, "b": KEY_B}, "a")
    sealed = (await codec.encode([plain("x")]))[0]
    flipped = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    relabelled = Payload(metadata={**sealed.metadata, KEY_ID: b"b"}, data=sealed.data)
    for bad in (flipped, relabelled):
        with pytest.raises(ValueError, match="does not decrypt"):
            await codec.decode([bad])


async def test_the_data_converter_round_trips_pydantic_models():
    inp = CaseInput(case_id="c-1", process="neuantrag", facts={"antragsweg": "online"})
    payloads = await DATA_CONVERTER.encode([inp])
    assert payloads[0].metadata[KEY_ID] == TEST_KEY_ID.encode() and b"c-1" not in payloads[0].data
    assert await DATA_CONVERTER.decode(payloads, [CaseInput]) == [inp]


def test_local_mode_creates_one_key_file_0600_and_reuses_it(tmp_path):
    settings = Settings(data_dir=tmp_path)
    first = codec_from_settings(settings)
    assert stat.S_IMODE(keys_file(settings).stat().st_mode) == 0o600
    assert codec_from_settings(settings).key_ids == first.key_ids == [first.active]
    assert data_converter(settings).payload_codec.active == first.active


async def test_configured_keys_win_and_the_local_key_still_decodes(tmp_path):
    local = codec_from_settings(Settings(data_dir=tmp_path))
    old = await local.encode([plain("lokal")])
    configured = codec_from_settings(Settings(data_dir=tmp_path, codec_keys={"k2": new_key()}, codec_key_id="k2"))
    assert configured.active == "k2" and await configured.decode(old) == [plain("lokal")]


def test_bad_key_configuration_is_refused(tmp_path):
    production = {
        "mode": "production",
        "database_url": "sqlite:///x.db",
        "oidc_issuer": "https://idp",
        "oidc_audience": "f",
        "oidc_jwks_url": "https://idp/jwks",
        "data_dir": tmp_path,
    }
    with pytest.raises(ValueError, match="FAHRPLAN_CODEC_KEYS must be set"):
        codec_from_settings(Settings(**production))
    assert not keys_file(Settings(data_dir=tmp_path)).exists()  # production never writes a key file
    with pytest.raises(ValueError, match="32 bytes"):
        codec_from_settings(Settings(**production, codec_keys={"k": base64.b64encode(b"short").decode()}))
    with pytest.raises(ValueError, match="FAHRPLAN_CODEC_KEY_ID"):
        codec_from_settings(Settings(**production, codec_keys={"k": new_key(), "l": new_key()}))
    with pytest.raises(ValueError, match="not among"):
        codec_from_settings(Settings(**production, codec_keys={"k": new_key()}, codec_key_id="x"))
    assert codec_from_settings(Settings(**production, codec_keys={"k": new_key()})).active == "k"


# --- the endpoint --------------------------------------------------------------------------------


@pytest.fixture
async def codec_http(client, sqlite_db, tmp_path):
    settings = Settings(api_tokens=TOKENS, data_dir=tmp_path)
    app = create_app(settings, client=client, db=sqlite_db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


def wire(payloads: list[Payload]) -> dict:
    """The codec protocol's JSON (protobuf JSON: bytes as base64)."""
    return {
        "payloads": [
            {
                "metadata": {k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
                "data": base64.b64encode(p.data).decode(),
            }
            for p in payloads
        ]
    }


def unwire(body: dict) -> list[Payload]:
    return [
        Payload(
            metadata={k: base64.b64decode(v) for k, v in p.get("metadata", {}).items()},
            data=base64.b64decode(p.get("data", "")),
        )
        for p in body["payloads"]
    ]


async def test_codec_endpoint_needs_a_login_and_the_team_lead_role(codec_http):
    body = wire([plain("x")])
    r = await codec_http.post("/codec/decode", json=body)
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    r = await codec_http.post("/codec/decode", json=body, headers=auth("egs"))
    assert r.status_code == 403 and r.json()["type"] == "/problems/role-not-allowed"
    r = await codec_http.post("/codec/decode", json=body, headers=auth("teamleitung") | {"X-Namespace": "fremd"})
    assert r.status_code == 403 and r.json()["type"] == "/problems/wrong-namespace"


async def test_codec_endpoint_round_trip(codec_http):
    headers = auth("teamleitung") | {"X-Namespace": "default"}
    r = await codec_http.post("/codec/encode", json=wire([plain("Fall 7"), plain("Fall 8")]), headers=headers)
    assert r.status_code == 200, r.text
    sealed = unwire(r.json())
    assert [p.metadata[KEY_ID] for p in sealed] == [TEST_KEY_ID.encode()] * 2
    assert await DATA_CONVERTER.payload_codec.decode(sealed) == [
        plain("Fall 7"),
        plain("Fall 8"),
    ]  # what the worker reads
    r = await codec_http.post("/codec/decode", json=wire(sealed), headers=headers)
    assert r.status_code == 200 and unwire(r.json()) == [plain("Fall 7"), plain("Fall 8")]
    r = await codec_http.post("/codec/decode", json={"payloads": []}, headers=headers)
    assert r.json() == {"payloads": []}


async def test_unknown_key_and_garbage_are_problems(codec_http):
    foreign = await EncryptionCodec({"anderer": KEY_A}, "anderer").encode([plain("x")])
    r = await codec_http.post("/codec/decode", json=wire(foreign), headers=auth("teamleitung"))
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/unknown-key" and r.json()["key_id"] == "anderer"
    r = await codec_http.post(
        "/codec/decode", json={"payloads": [{"metadata": 5}], "mehr": 1}, headers=auth("teamleitung")
    )
    assert r.status_code == 422 and r.json()["type"] == "/problems/invalid-payloads"


async def test_cors_preflight_only_from_the_ui_origin(codec_http):
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
    }
    r = await codec_http.options("/codec/decode", headers=preflight | {"Origin": UI})
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == UI and r.headers["access-control-allow-credentials"] == "true"
    assert {"authorization", "x-namespace"} <= {h.strip() for h in r.headers["access-control-allow-headers"].split(",")}
    for origin in ("http://evil.example", "http://localhost:8233"):
        r = await codec_http.options("/codec/decode", headers=preflight | {"Origin": origin})
        assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
        r = await codec_http.post(
            "/codec/decode", json=wire([plain("x")]), headers=auth("teamleitung") | {"Origin": origin}
        )
        assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
    r = await codec_http.post("/codec/decode", json=wire([plain("x")]), headers=auth("teamleitung") | {"Origin": UI})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == UI
    r = await codec_http.post("/codec/decode", json=wire([plain("x")]), headers={"Origin": UI})
    assert r.status_code == 401 and r.headers["access-control-allow-origin"] == UI  # the UI can show why
