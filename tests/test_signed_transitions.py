"""Issue 13, item 2: the workflow trusts no caller. Whoever reaches the Temporal port gets a
transition applied only with the API's signature for exactly that case, trigger, data, role
and request id (runtime/signing.py, workflows/host.py)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from api.usecases.case_workflows import signed as api_signed
from persistence import models as m
from runtime import signing
from runtime.codec import REFUSED_ENCODING, EncryptionCodec
from runtime.temporal import TEST_KEY, TEST_KEY_ID, converter_with, workflow_id
from statemachines.spec import ChildEnded
from tests.api_fixtures import auth, new_case, step, trail
from tests.cases import settled, signed, snapshot, start_case
from tests.conftest import TEST_SIGNING, _settle, new_worker
from workflows.messages import CaseSnapshot, TransitionRequest

OTHER_KEYS = signing.SigningKeys({"fremd": b"k" * 32}, "fremd")


def _handle(client: Client, case: dict):
    return client.get_workflow_handle(workflow_id("neuantrag", case["case_id"]))


async def _refused(handle, request: TransitionRequest) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await handle.execute_update("transition", request, id=str(uuid.uuid4()), result_type=CaseSnapshot)
    assert isinstance(failed.value.cause, ApplicationError)
    return failed.value.cause


async def test_an_unsigned_update_from_the_temporal_port_is_refused_and_changes_nothing(http, client):
    case = await new_case(http)
    handle = _handle(client, case)
    before = await settled(handle)
    attack = TransitionRequest(trigger="antrag_abgelehnt", data={}, role="leistung", request_id=None)
    cause = await _refused(handle, attack)
    assert cause.type == "RoleNotAllowed" and "signiert" in cause.message
    cause = await _refused(handle, attack.model_copy(update={"request_id": str(uuid.uuid4()), "signature": "x:y"}))
    assert cause.type == "RoleNotAllowed"
    assert await snapshot(handle) == before
    assert await trail(http, case) == ["fall_angelegt"]
    assert (await step(http, case, "antrag_abgelehnt", "leistung")).status_code == 200  # the API path works


async def test_a_request_signed_with_another_key_or_changed_after_signing_is_refused(http, client):
    case = await new_case(http)
    handle = _handle(client, case)
    request = TransitionRequest(trigger="identitaet_bestaetigt", role="egs", request_id=str(uuid.uuid4()))
    foreign_key = api_signed(OTHER_KEYS, case["case_id"], "neuantrag", request)
    assert (await _refused(handle, foreign_key)).type == "RoleNotAllowed"
    good = api_signed(TEST_SIGNING, case["case_id"], "neuantrag", request)
    for change in ({"role": "leistung"}, {"trigger": "antrag_abgelehnt"}, {"data": {"x": 1}}, {"issued_at": "2020"}):
        assert (await _refused(handle, good.model_copy(update=change))).type == "RoleNotAllowed", change
    signed_as_other_process = api_signed(TEST_SIGNING, case["case_id"], "rechtskreiswechsel", request)
    assert (await _refused(handle, signed_as_other_process)).type == "RoleNotAllowed"
    assert await trail(http, case) == ["fall_angelegt"]


async def test_a_signed_request_replayed_on_another_case_or_twice_is_refused(http, client, sqlite_db):
    first, second = await new_case(http), await new_case(http)
    r = await step(http, first, "identitaet_bestaetigt", "egs", comment="interne Notiz", key="k-sig")
    assert r.status_code == 200
    async with sqlite_db.unit_of_work(read_only=True) as session:
        request_id = await session.scalar(
            select(m.TransitionRequest.request_id).where(m.TransitionRequest.idempotency_key == "k-sig")
        )
    captured = api_signed(
        TEST_SIGNING,
        first["case_id"],
        "neuantrag",
        TransitionRequest(trigger="identitaet_bestaetigt", role="egs", request_id=request_id),
    )
    assert (await _refused(_handle(client, second), captured)).type == "RoleNotAllowed"  # another case
    assert (await _refused(_handle(client, first), captured)).type == "TriggerNotAllowed"  # applied already
    assert await trail(http, second) == ["fall_angelegt"]
    events = (await http.get(f"/cases/{second['case_id']}/events", headers=auth("egs"))).json()
    assert [e["comment"] for e in events] == [None]


async def test_a_forged_child_end_signal_is_ignored(http, client):
    case = await new_case(http)
    handle = _handle(client, case)
    before = await settled(handle)
    await handle.signal("child_ended", ChildEnded(case_id=str(uuid.uuid4()), process="neuantrag", state="x", facts={}))
    assert (await step(http, case, "identitaet_bestaetigt", "egs")).status_code == 200
    after = await snapshot(handle)
    assert after.sequence == before.sequence + 1
    assert await trail(http, case) == ["fall_angelegt", "identitaet_bestaetigt"]


async def test_plain_payloads_are_refused_outside_local_mode(env, sqlite_db):
    """A worker whose codec refuses plain payloads (production) rejects an update sent without
    encryption, even one correctly signed, and still applies the encrypted one."""
    strict = EncryptionCodec({TEST_KEY_ID: TEST_KEY}, TEST_KEY_ID, accept_plain=False)
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"trigger":"antrag_abgelehnt"}')
    [refused] = await strict.decode([plain])
    assert refused.metadata["encoding"] == REFUSED_ENCODING and refused.data == b""
    assert await EncryptionCodec({TEST_KEY_ID: TEST_KEY}, TEST_KEY_ID).decode([plain]) == [plain]
    assert await strict.decode(await strict.encode([plain])) == [plain]

    production = Client(**(env.client.config() | {"data_converter": converter_with(strict)}))
    without_keys = Client(**(env.client.config() | {"data_converter": pydantic_data_converter}))
    async with new_worker(production, db=sqlite_db) as worker:
        handle = await start_case(production, worker.task_queue, {"antragsweg": "persoenlich"})
        try:
            before = await settled(handle)
            request = TransitionRequest(trigger="antrag_zurueckgenommen", role="egs")
            plain_handle = without_keys.get_workflow_handle(handle.id)
            with pytest.raises(WorkflowUpdateFailedError):
                await plain_handle.execute_update("transition", signed(handle, request), result_type=CaseSnapshot)
            assert (await snapshot(handle)).sequence == before.sequence
            snap = await handle.execute_update("transition", signed(handle, request), result_type=CaseSnapshot)
            assert snap.final and snap.sequence == before.sequence + 1
        finally:
            await _settle(production, [handle.id])


def test_signing_keys_come_from_the_settings(tmp_path, monkeypatch):
    from runtime.settings import Settings

    monkeypatch.delenv("FAHRPLAN_SIGNING_KEYS")
    monkeypatch.delenv("FAHRPLAN_SIGNING_KEY_ID")

    local = signing.keys_from_settings(Settings(data_dir=tmp_path))
    assert local.key_ids == [signing.LOCAL_KEY_ID] and (tmp_path / "signing_keys.json").stat().st_mode & 0o777 == 0o600
    assert "lokal-1" in repr(local) and signing.keys_from_settings(Settings(data_dir=tmp_path)).sign(
        b"m"
    ) == local.sign(b"m")
    with pytest.raises(ValueError, match="FAHRPLAN_SIGNING_KEYS"):
        signing.keys_from_settings(
            Settings.model_construct(mode="production", data_dir=tmp_path, signing_keys={}, signing_key_id="")
        )
