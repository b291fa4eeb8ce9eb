"""`fahrplan up` as a real process on free ports in a temp data dir (issue 13 items 3 and 9):
no secret in argv, in the UI's settings or in its output; the UI decodes with the sign-in cookie
only; a second instance fails fast; a killed one leaves no Temporal server; a signal stops it
while it starts; a token without a role is a clear error."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import time

import httpx
import pytest

from tests.devserver_support import dynamic_config
from tests.up_support import Up, free_ports, gone
from worker.commands.devserver import TRANSFER_POLL_RPS

ENV_TOKEN = "env-token-nie-ausgeben-4711"


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    env_tokens = json.dumps({ENV_TOKEN: {"user": "aus-der-umgebung", "roles": ["egs"]}})
    up = Up(tmp_path_factory.mktemp("up") / "var", free_ports(3), FAHRPLAN_API_TOKENS=env_tokens).start()
    try:
        up.ready()
        yield up
    finally:
        up.stop()


def test_no_secret_in_argv_in_the_ui_settings_or_in_the_output(running):
    secrets = [*running.tokens(), ENV_TOKEN]
    ps = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True, check=True).stdout
    assert f"--ui-codec-endpoint http://127.0.0.1:{running.api}/codec " in ps
    settings = httpx.get(f"http://127.0.0.1:{running.ui}/api/v1/settings", timeout=10).json()
    assert settings["Codec"]["Endpoint"] == f"http://127.0.0.1:{running.api}/codec"
    served = json.dumps(settings) + (running.data_dir / "temporal.log").read_text(errors="replace")
    assert not [s for s in secrets if s in ps or s in served]
    out = running.text()
    assert ENV_TOKEN not in out  # configured tokens are never printed
    assert all(out.count(token) == 1 for token in running.tokens())  # the created ones, once


def test_the_dev_server_commits_through_a_write_ahead_log(running):
    """The server's file in WAL mode with full syncs (devserver.SQLITE_PRAGMAS), not the rollback
    journal it defaults to: the same durability for less of the server's CPU per transition."""
    db = running.data_dir / "temporal.db"
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert (running.data_dir / "temporal.db-wal").exists()
    ps = subprocess.run(["ps", "-eww", "-o", "args"], capture_output=True, text=True, check=True).stdout
    assert f"--db-filename {db} --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=full" in ps


def test_the_dev_server_reads_its_transfer_queue_without_the_50_ms_wait(running):
    """history.transferProcessorMaxPollRPS raised from 20 to devserver.TRANSFER_POLL_RPS: a workflow
    task scheduled after an activity no longer waits up to 50 ms for the next read."""
    values = dynamic_config(running.server_pid())
    assert f"history.transferProcessorMaxPollRPS={TRANSFER_POLL_RPS}".encode() in values


def test_the_ui_decodes_a_real_history_with_the_sign_in_cookie_only(running):
    api, ui = f"http://127.0.0.1:{running.api}", f"http://127.0.0.1:{running.ui}"
    case = httpx.post(
        f"{api}/api/v1/cases",
        json={"process": "neuantrag", "person": {"vorname": "Erika", "nachname": "Muster"},
              "facts": {"antragsweg": "online"}},
        headers={"Authorization": f"Bearer {running.token_of('egs')}"}, timeout=30,
    ).json()  # fmt: skip
    history = httpx.get(f"{ui}/api/v1/namespaces/default/workflows/{case['workflow_id']}/history", timeout=10)
    started = history.json()["history"]["events"][0]["workflowExecutionStartedEventAttributes"]
    payload = started["input"]["payloads"][0]
    assert base64.b64decode(payload["metadata"]["encoding"]) == b"binary/encrypted"  # what the UI shows
    body, cors = {"payloads": [payload]}, {"Origin": ui, "X-Namespace": "default"}

    preflight = httpx.options(
        f"{api}/codec/decode",
        headers={"Origin": ui, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type,x-namespace"},
    )  # fmt: skip
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-credentials"] == "true"
    assert httpx.post(f"{api}/codec/decode", json=body, headers=cors).status_code == 401

    signed_in = httpx.post(
        f"{api}/codec/anmelden", data={"token": running.token_of("teamleitung")}, headers={"Origin": api}
    )
    assert signed_in.status_code == 200 and "HttpOnly" in signed_in.headers["set-cookie"]
    cookie = {"Cookie": signed_in.headers["set-cookie"].split(";")[0]}
    decoded = httpx.post(f"{api}/codec/decode", json=body, headers=cors | cookie)
    assert decoded.status_code == 200 and decoded.headers["access-control-allow-origin"] == ui
    plain = base64.b64decode(decoded.json()["payloads"][0]["data"])
    assert case["case_id"].encode() in plain and b"Erika" not in plain  # the case, never the person
    assert httpx.get(f"{api}/api/v1/cases", headers=cookie).status_code == 401  # decode only
    refused = httpx.post(f"{api}/codec/anmelden", data={"token": running.token_of("egs")}, headers={"Origin": api})
    assert refused.status_code == 403 and "set-cookie" not in refused.headers


def test_a_second_instance_fails_fast_and_changes_nothing(running, tmp_path):
    other = Up(tmp_path / "var", [running.temporal, running.ui, running.api])
    started = time.monotonic()
    done = other.run(timeout=60)
    assert done.returncode == 1 and "belegt" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert time.monotonic() - started < 30
    assert not (other.data_dir / "tokens.json").exists() and not (other.data_dir / "temporal.db").exists()
    same_dir = Up(running.data_dir, free_ports(3)).run(timeout=60)
    assert same_dir.returncode == 1 and "läuft bereits ein `fahrplan up`" in same_dir.stderr


def test_a_killed_up_takes_its_temporal_server_along(running):
    """Last in this module: it ends the shared instance."""
    server = running.server_pid()
    os.kill(running.proc.pid, signal.SIGKILL)
    running.proc.wait(10)
    assert gone(server, 20), "the Temporal dev server outlived `fahrplan up`"


def test_a_signal_while_starting_stops_everything(tmp_path):
    up = Up(tmp_path / "var", free_ports(3)).start()
    server = up.server_pid()  # the server is starting, the API not yet
    up.proc.send_signal(signal.SIGTERM)
    assert up.proc.wait(30) == 0, up.text()
    assert gone(server, 5) and not (up.data_dir / "temporal.pid").exists()


def test_a_token_without_a_role_is_a_clear_error(tmp_path):
    tokens = json.dumps({"geheimes-token-ohne-rolle": {"user": "x", "roles": []}})
    done = Up(tmp_path / "var", free_ports(3), FAHRPLAN_API_TOKENS=tokens).run(timeout=60)
    assert done.returncode == 1 and "keine Rolle / no role" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "geheimes-token" not in done.stderr + done.stdout
