"""The attack of issue 13 from outside, run with the normal suite: each way in the attack found
is tried again and must find nothing. The Temporal port (an unsigned update), a reused
Idempotency-Key, NUL bytes, a staff token in the codec URL, and the five ways of altering the
record unseen (`fahrplan audit verify` with the workflows as anchors must report each)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from persistence import audit, audit_verify
from persistence import models as m
from runtime.temporal import DATA_CONVERTER, workflow_id
from tests.api_fixtures import PERSON, auth, go, new_case, trail
from tests.audit_support import rehash_with_key, tamper
from tests.cases import settled, snapshot
from tests.dbfixtures import TEST_AUDIT_KEYS
from tests.test_codec import plain, unwire, wire
from worker import audit_anchors
from workflows.messages import CaseSnapshot, TransitionRequest

NEUANTRAG = {"process": "neuantrag", "person": PERSON, "facts": {"antragsweg": "persoenlich"}}


async def test_the_temporal_port_ends_no_case(http, client):
    """`temporal workflow update execute --name transition --input '{"trigger":"antrag_abgelehnt",…}'`."""
    case = await new_case(http)
    handle = client.get_workflow_handle(workflow_id("neuantrag", case["case_id"]))
    before = await settled(handle)
    for request_id in (None, str(uuid.uuid4())):
        attack = TransitionRequest(trigger="antrag_abgelehnt", data={}, role="leistung", request_id=request_id)
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update("transition", attack, id=str(uuid.uuid4()), result_type=CaseSnapshot)
    assert await snapshot(handle) == before
    assert await trail(http, case) == ["fall_angelegt"]


async def test_a_reused_idempotency_key_starts_no_second_workflow(http, client):
    key = {"Idempotency-Key": f"angriff-{uuid.uuid4()}"}
    case = await new_case(http, None, **key)
    other = {**NEUANTRAG, "process": "rechtskreiswechsel", "facts": {"alg1_ende": "2029-06-30", "standort": "Witten"}}
    r = await http.post("/cases", json=other, headers={**auth("egs"), **key})
    assert r.status_code == 422 and r.json()["type"] == "/problems/idempotency-key-reused"
    with pytest.raises(RPCError):
        await client.get_workflow_handle(workflow_id("rechtskreiswechsel", case["case_id"])).describe()
    assert (await http.get(f"/cases/{case['case_id']}/events", headers=auth("egs"))).status_code == 200


async def test_nul_bytes_are_refused_everywhere(http):
    named = {**NEUANTRAG, "person": {**PERSON, "vorname": "A\u0000B"}}
    assert (await http.post("/cases", json=named, headers=auth("egs"))).status_code == 422
    assert (await http.get("/cases/a%00b", headers=auth("egs"))).status_code == 422
    assert (await http.get("/cases", params={"process": "neu\x00antrag"}, headers=auth("egs"))).status_code == 422
    assert (await http.get("/cases", headers=auth("teamleitung"))).json()["total"] == 0


async def test_a_staff_token_in_the_codec_url_decodes_nothing(http):
    body = wire(await DATA_CONVERTER.payload_codec.encode([plain("x")]))
    root = "http://test"  # the codec is served beside /api/v1
    for path in ("/codec/ui/tok-teamleitung/decode", "/codec/ui/tok-teamleitung/decodeX"):
        assert (await http.post(root + path, json=body)).status_code == 404
    r = await http.post(root + "/codec/decode", params={"token": "tok-teamleitung"}, json=body)
    assert r.status_code == 401 and '"x"' not in r.text
    r = await http.post(root + "/codec/decode", json=body, headers=auth("teamleitung"))  # the endpoint is there
    assert r.status_code == 200 and unwire(r.json()) == [plain("x")]


# --- the record altered unseen (item 5) ------------------------------------------------------


async def _case_with_two_steps(http) -> str:
    case = await new_case(http)
    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, comment="Rückruf erbeten")
    await go(http, case, "clearingtermin_vereinbart", "jobcoach", {"termin": "2027-02-01T09:00:00+01:00"})
    return case["case_id"]


async def _rehash_unkeyed(db, case_id: str, start: int) -> None:
    """An event changed and the chain rehashed as before 0008 (plain sha256): the old attack."""
    async with db.unit_of_work(read_only=True) as session:
        events = list(
            await session.scalars(
                select(m.CaseEvent).where(m.CaseEvent.case_id == case_id).order_by(m.CaseEvent.sequence)
            )
        )
    statements, prev = [], events[start - 1].hash
    for event in events[start:]:
        row = {c.name: getattr(event, c.name) for c in m.CaseEvent.__table__.columns}
        if event.sequence == start:
            row["actor"] = "jemand"
        digest = audit.unkeyed_hash(row, prev)
        statements.append(
            f"UPDATE case_events SET actor = '{row['actor']}', prev_hash = '{prev}', hash = '{digest}' "
            f"WHERE id = {event.id}"
        )
        prev = digest
    await tamper(db, *statements)


async def _tail_deleted(db, case_id: str) -> None:
    await tamper(
        db,
        f"DELETE FROM notifications WHERE case_id = '{case_id}' AND sequence = 2",
        f"DELETE FROM tasks WHERE case_id = '{case_id}' AND sequence = 2",
        f"DELETE FROM case_events WHERE case_id = '{case_id}' AND sequence = 2",
        f"UPDATE cases SET version = 1, state = 'clearing_offen' WHERE case_id = '{case_id}'",
    )


async def _case_deleted(db, case_id: str) -> None:
    await tamper(
        db, f"DELETE FROM case_events WHERE case_id = '{case_id}'", f"DELETE FROM cases WHERE case_id = '{case_id}'"
    )


async def _comment_nulled(db, case_id: str) -> None:
    async with db.unit_of_work() as session:  # the triggers allow it: that is how erasure works
        await session.execute(m.CaseEvent.__table__.update().where(m.CaseEvent.case_id == case_id).values(comment=None))


TAMPERING = {
    "letztes-ereignis-geloescht": (_tail_deleted, 2),
    "fall-geloescht": (_case_deleted, 0),
    "ereignis-geaendert-ohne-schluessel": (lambda db, case_id: _rehash_unkeyed(db, case_id, 1), 1),
    "ereignis-geaendert-mit-schluessel": (
        lambda db, case_id: rehash_with_key(db, case_id, 1, "actor=jemand", TEST_AUDIT_KEYS),
        2,  # the head digest the workflow kept differs
    ),
    "kommentar-ohne-loeschung-entfernt": (_comment_nulled, 1),
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
async def test_every_way_of_altering_the_record_is_reported(http, sqlite_db, client, how):
    case_id, untouched = await _case_with_two_steps(http), await _case_with_two_steps(http)
    report = await audit_verify.verify(sqlite_db)
    await audit_anchors.compare(report, sqlite_db, client)
    assert report.ok, report.breaks
    alter, sequence = TAMPERING[how]
    await alter(sqlite_db, case_id)
    report = await audit_verify.verify(sqlite_db)
    await audit_anchors.compare(report, sqlite_db, client)
    assert [(b.case_id, b.sequence) for b in report.breaks] == [(case_id, sequence)], report.breaks
    assert untouched not in report.broken_cases
