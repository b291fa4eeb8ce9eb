"""OIDC bearer tokens against a real JWKS endpoint (a local HTTP server) and real signing keys.

The app runs in production mode over httpx, wired to the time-skipping test
server's client and a migrated SQLite database, as the other API tests do.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from contextlib import asynccontextmanager

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import ValidationError

from api.app import create_app
from persistence.db import Database
from persistence.migrate import upgrade
from runtime.settings import Settings, TokenUser
from tests.api_fixtures import PERSON
from tests.oidc_support import AUDIENCE, ISSUER, JwksServer, b64, bearer, claims_of, hand_made, public_jwk, token


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def jwks(rsa_key, ec_key):
    server = JwksServer([public_jwk(rsa_key, "rsa-1"), public_jwk(ec_key, "ec-1")])
    yield server
    server.stop()


def production(jwks: JwksServer, tmp_path, **overrides) -> Settings:
    values = {
        "mode": "production",
        "database_url": f"sqlite:///{tmp_path / 'fahrplan.db'}",
        "data_dir": tmp_path,
        "oidc_issuer": ISSUER,
        "oidc_audience": AUDIENCE,
        "oidc_jwks_url": jwks.url,
    }
    return Settings(**(values | overrides))


@pytest.fixture(scope="module")
async def module_db(tmp_path_factory):
    """One migrated SQLite database for the module: authentication only records staff ids in it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('auth') / 'fahrplan.db'}"
    upgrade(url)
    database = Database(url)
    yield database
    await database.dispose()


@pytest.fixture
def api(client, module_db):
    @asynccontextmanager
    async def start(settings: Settings):
        app = create_app(settings, client=client, db=module_db)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test/api/v1") as http:
            yield http

    return start


async def assert_invalid(http: httpx.AsyncClient, raw: str, detail_part: str) -> None:
    r = await http.get("/me", headers=bearer(raw))
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert detail_part in r.json()["detail"]


# --- accepted -----------------------------------------------------------------------------------


async def test_valid_rsa_token_gives_the_roles_from_the_claim(api, jwks, tmp_path, rsa_key):
    async with api(production(jwks, tmp_path)) as http:
        r = await http.get("/me", headers=bearer(token(rsa_key, roles=["ifk", "leistung"])))
    assert r.status_code == 200, r.text
    assert r.json() == {"user": "sb-4711", "roles": ["ifk", "leistung"], "case_id": None}


async def test_valid_ec_token_is_accepted(api, jwks, tmp_path, ec_key):
    async with api(production(jwks, tmp_path)) as http:
        r = await http.get("/me", headers=bearer(token(ec_key, kid="ec-1", alg="ES256", roles=["jobcoach"])))
    assert r.status_code == 200, r.text
    assert r.json()["roles"] == ["jobcoach"]


async def test_roles_fahrplan_does_not_know_are_ignored(api, jwks, tmp_path, rsa_key):
    async with api(production(jwks, tmp_path)) as http:
        r = await http.get("/me", headers=bearer(token(rsa_key, roles=["egs", "admin", "offline_access"])))
    assert r.json()["roles"] == ["egs"]


async def test_token_without_any_fahrplan_role_is_forbidden(api, jwks, tmp_path, rsa_key):
    async with api(production(jwks, tmp_path)) as http:
        r = await http.get("/me", headers=bearer(token(rsa_key, roles=["admin"])))
    assert r.status_code == 403
    assert r.json()["detail"] == "Dem Zugang ist keine Fahrplan-Rolle zugeordnet."


async def test_roles_by_dotted_path_as_keycloak_puts_them(api, jwks, tmp_path, rsa_key):
    settings = production(jwks, tmp_path, oidc_roles_claim="realm_access.roles")
    raw = token(rsa_key, roles=None, realm_access={"roles": ["teamleitung", "uma_authorization"]})
    async with api(settings) as http:
        r = await http.get("/me", headers=bearer(raw))
    assert r.json()["roles"] == ["teamleitung"]


async def test_participant_gets_the_case_from_the_case_claim(api, jwks, tmp_path, rsa_key):
    raw = token(rsa_key, roles=["teilnehmende"], case_id="case-42")
    async with api(production(jwks, tmp_path)) as http:
        r = await http.get("/me", headers=bearer(raw))
    assert r.json() == {"user": "sb-4711", "roles": ["teilnehmende"], "case_id": "case-42"}


async def test_user_falls_back_to_sub(api, jwks, tmp_path, rsa_key):
    async with api(production(jwks, tmp_path)) as http:
        r = await http.get("/me", headers=bearer(token(rsa_key, preferred_username=None)))
    assert r.json()["user"] == "a1b2c3"


async def test_staff_token_starts_a_case_through_the_worker(
    client,
    sqlite_db,
    worker,
    jwks,
    tmp_path,
    rsa_key,
):
    settings = production(jwks, tmp_path, task_queue=worker.task_queue, update_timeout_seconds=20)
    app = create_app(settings, client=client, db=sqlite_db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test/api/v1") as http:
        body = {"process": "neuantrag", "person": PERSON, "facts": {"antragsweg": "persoenlich"}}
        r = await http.post("/cases", json=body, headers=bearer(token(rsa_key, roles=["egs"])))
    assert r.status_code == 201, r.text


# --- refused ------------------------------------------------------------------------------------


async def test_expired_token_is_refused(api, jwks, tmp_path, rsa_key):
    now = int(time.time())
    async with api(production(jwks, tmp_path)) as http:
        await assert_invalid(http, token(rsa_key, iat=now - 3600, exp=now - 120), "abgelaufen")


async def test_wrong_audience_is_refused(api, jwks, tmp_path, rsa_key):
    async with api(production(jwks, tmp_path)) as http:
        await assert_invalid(http, token(rsa_key, aud="account"), "(aud)")


async def test_wrong_issuer_is_refused(api, jwks, tmp_path, rsa_key):
    async with api(production(jwks, tmp_path)) as http:
        await assert_invalid(http, token(rsa_key, iss="https://evil.example.test/realms/jobcenter"), "(iss)")


async def test_not_yet_valid_token_is_refused(api, jwks, tmp_path, rsa_key):
    async with api(production(jwks, tmp_path)) as http:
        await assert_invalid(http, token(rsa_key, nbf=int(time.time()) + 600), "noch nicht gültig")


async def test_token_without_exp_is_refused(api, jwks, tmp_path, rsa_key):
    async with api(production(jwks, tmp_path)) as http:
        await assert_invalid(http, token(rsa_key, exp=None), "Pflichtangabe")


async def test_unknown_kid_is_refused(api, jwks, tmp_path, rsa_key):
    async with api(production(jwks, tmp_path)) as http:
        await assert_invalid(http, token(rsa_key, kid="rsa-unknown"), "Signaturschlüssel")


async def test_token_signed_by_another_key_is_refused(api, jwks, tmp_path, other_rsa_key):
    async with api(production(jwks, tmp_path)) as http:
        await assert_invalid(http, token(other_rsa_key, kid="rsa-1"), "Signatur")


async def test_tampered_claims_are_refused(api, jwks, tmp_path, rsa_key):
    header, _, signature = token(rsa_key, roles=["egs"]).split(".")
    claims = b64(json.dumps(claims_of(token(rsa_key)) | {"roles": ["teamleitung"]}).encode())
    async with api(production(jwks, tmp_path)) as http:
        await assert_invalid(http, f"{header}.{claims}.{signature}", "Signatur")


async def test_unsigned_token_alg_none_is_refused(api, jwks, tmp_path, rsa_key):
    raw = hand_made({"alg": "none", "typ": "JWT", "kid": "rsa-1"}, claims_of(token(rsa_key)), lambda _: b"")
    async with api(production(jwks, tmp_path)) as http:
        await assert_invalid(http, raw, "Signaturverfahren")


async def test_hs256_with_the_public_key_as_secret_is_refused(api, jwks, tmp_path, rsa_key):
    pem = rsa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    raw = hand_made(
        {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"},
        claims_of(token(rsa_key)),
        lambda data: hmac.new(pem, data, hashlib.sha256).digest(),
    )
    async with api(production(jwks, tmp_path)) as http:
        await assert_invalid(http, raw, "Signaturverfahren")


async def test_garbage_token_is_refused(api, jwks, tmp_path):
    async with api(production(jwks, tmp_path)) as http:
        await assert_invalid(http, "not-a-jwt", "kein gültiges JWT")


async def test_rejected_tokens_are_not_logged(api, jwks, tmp_path, rsa_key, caplog):
    now = int(time.time())
    raws = [token(rsa_key, iat=now - 3600, exp=now - 120), token(rsa_key, kid="rsa-unknown")]
    caplog.set_level("DEBUG")
    async with api(production(jwks, tmp_path)) as http:
        for raw in raws:
            assert (await http.get("/me", headers=bearer(raw))).status_code == 401
    assert "OIDC token rejected" in caplog.text
    assert not any(raw in caplog.text or raw.split(".")[2] in caplog.text for raw in raws)


# --- keys ---------------------------------------------------------------------------------------


async def test_signing_keys_are_fetched_once_and_cached(api, jwks, tmp_path, rsa_key):
    async with api(production(jwks, tmp_path)) as http:
        for _ in range(3):
            assert (await http.get("/me", headers=bearer(token(rsa_key)))).status_code == 200
    assert jwks.requests == 1


async def test_key_rotation_new_kid_is_fetched(api, jwks, tmp_path, rsa_key, other_rsa_key):
    async with api(production(jwks, tmp_path, oidc_jwks_cooldown_seconds=0)) as http:
        assert (await http.get("/me", headers=bearer(token(rsa_key)))).status_code == 200
        jwks.keys = [public_jwk(other_rsa_key, "rsa-2")]
        r = await http.get("/me", headers=bearer(token(other_rsa_key, kid="rsa-2", roles=["ifk"])))
    assert r.status_code == 200, r.text
    assert r.json()["roles"] == ["ifk"]
    assert jwks.requests == 2


async def test_jwks_endpoint_down_gives_503(api, jwks, tmp_path, rsa_key):
    jwks.stop()
    async with api(production(jwks, tmp_path)) as http:
        r = await http.get("/me", headers=bearer(token(rsa_key)))
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["title"] == "Anmeldedienst nicht erreichbar"
    assert r.headers["retry-after"] == "5"


async def test_cached_keys_still_work_while_the_jwks_endpoint_is_down(api, jwks, tmp_path, rsa_key):
    async with api(production(jwks, tmp_path)) as http:
        assert (await http.get("/me", headers=bearer(token(rsa_key)))).status_code == 200
        jwks.stop()
        r = await http.get("/me", headers=bearer(token(rsa_key, roles=["ifk"])))
    assert r.status_code == 200, r.text


async def test_fetching_keys_does_not_block_the_event_loop(api, jwks, tmp_path, rsa_key):
    jwks.delay = 0.5
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async with api(production(jwks, tmp_path)) as http:
        ticker = asyncio.create_task(tick())
        r = await http.get("/me", headers=bearer(token(rsa_key)))
        ticker.cancel()
    assert r.status_code == 200
    assert ticks >= 20  # the loop kept running during the 0.5 s fetch


# --- static tokens ------------------------------------------------------------------------------


def test_production_refuses_static_tokens(jwks, tmp_path):
    with pytest.raises(ValidationError, match=r"FAHRPLAN_API_TOKENS .* only allowed in local mode"):
        production(jwks, tmp_path, api_tokens={"tok-egs": TokenUser(user="egs-1", roles=["egs"])})


def test_production_requires_the_oidc_settings(tmp_path):
    with pytest.raises(ValidationError, match="OIDC_AUDIENCE and FAHRPLAN_OIDC_JWKS_URL must be set"):
        Settings(mode="production", database_url=f"sqlite:///{tmp_path / 'f.db'}", data_dir=tmp_path)


def test_production_requires_https_for_a_remote_jwks_url(jwks, tmp_path):
    with pytest.raises(ValidationError, match="https://"):
        production(jwks, tmp_path, oidc_jwks_url="http://login.example.test/certs")


async def test_local_mode_accepts_static_tokens(api, tmp_path):
    settings = Settings(data_dir=tmp_path, api_tokens={"tok-ifk": TokenUser(user="ifk-1", roles=["ifk"])})
    async with api(settings) as http:
        r = await http.get("/me", headers=bearer("tok-ifk"))
    assert r.json() == {"user": "ifk-1", "roles": ["ifk"], "case_id": None}


async def test_production_ignores_the_local_tokens_file(api, jwks, tmp_path):
    (tmp_path / "tokens.json").write_text(json.dumps({"tok-local": {"user": "egs-lokal", "roles": ["egs"]}}))
    async with api(production(jwks, tmp_path)) as http:
        await assert_invalid(http, "tok-local", "kein gültiges JWT")
