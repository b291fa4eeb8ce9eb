"""Gesprächsvermerke (R15), the Fallakte (R13, R16) and what a case says to do next (issue 15 item 5).

Vermerke: documented without changing the state (no workflow message, no new history event),
with a configured Textbaustein, in their own keyed hash chain the database keeps append-only,
repeat-safe with an Idempotency-Key, erased with the person. The Fallakte shows a person's cases
the caller may read, with labels, deadlines, open tasks, last Vermerke and the plan in force."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from temporalio.api.enums.v1 import EventType

from persistence import vermerke as store
from runtime.settings import Settings
from statemachines.registry import PROCESSES
from statemachines.textbausteine import REQUIRED
from tests.api_fixtures import PERSON, auth, go
from tests.audit_support import tamper
from tests.dbfixtures import TEST_AUDIT_ENV, TEST_AUDIT_KEYS
from tests.kooperationsplan_support import PLAN
from worker.audit_anchors import run_verify


async def _neuantrag(http, person=None) -> dict:
    body = {"process": "neuantrag", "person": person or PERSON, "facts": {"antragsweg": "persoenlich"}}
    r = await http.post("/cases", json=body, headers=auth("egs"))
    assert r.status_code == 201, r.text
    return r.json()


async def _vermerk(http, case_id: str, role="egs", key=None, **body):
    body = {"textbaustein": "beratungsgespraech", "text": "Bewerbungsunterlagen besprochen."} | body
    headers = auth(role) | ({"Idempotency-Key": key} if key else {})
    return await http.post(f"/cases/{case_id}/vermerke", json=body, headers=headers)


MESSAGES = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
}


async def _messages(client, workflow_id: str) -> int:
    """Updates and signals the workflow received (a Vermerk must send none)."""
    events = client.get_workflow_handle(workflow_id).fetch_history_events()
    return len([e async for e in events if e.event_type in MESSAGES])


async def test_textbausteine_list_at_least_the_r15_blocks(http):
    r = await http.get("/textbausteine", headers=auth("jobcoach"))
    assert r.status_code == 200
    names = {b["name"]: b for b in r.json()}
    assert set(REQUIRED) <= set(names)
    assert names["fallubergabe"]["label"] == "Fallübergabe" and names["fallubergabe"]["vorlage"]


async def test_vermerk_documents_without_changing_state_and_is_repeat_safe(backend_http, client, database):
    case = await _neuantrag(backend_http)
    r = await _vermerk(backend_http, case["case_id"], key="v-1")
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["nummer"] == 1 and first["textbaustein"] == {
        "name": "beratungsgespraech",
        "label": "Beratungsgespräch",
    }
    again = await _vermerk(backend_http, case["case_id"], key="v-1")
    assert again.status_code == 201 and again.json() == first
    reused = await _vermerk(backend_http, case["case_id"], key="v-1", text="Etwas anderes.")
    assert reused.status_code == 422 and reused.json()["title"] == "Idempotency-Key wiederverwendet"
    second = await _vermerk(backend_http, case["case_id"], role="teamleitung", textbaustein="fallubergabe")
    assert second.json()["nummer"] == 2 and second.json()["role"] == "teamleitung"
    after = (await backend_http.get(f"/cases/{case['case_id']}", headers=auth("egs"))).json()
    assert (after["state"], after["version"]) == (case["state"], case["version"])
    assert await _messages(client, case["workflow_id"]) == 0  # nothing went to Temporal
    listed = (await backend_http.get(f"/cases/{case['case_id']}/vermerke", headers=auth("egs"))).json()
    assert [v["nummer"] for v in listed] == [1, 2]
    problems = await database.run(lambda s: store.verify(s, TEST_AUDIT_KEYS, case["case_id"]), read_only=True)
    assert problems == []


async def test_vermerk_refuses_bad_input_and_foreign_callers(http):
    case = await _neuantrag(http)
    cid = case["case_id"]
    bad = await _vermerk(http, cid, textbaustein="plauderei")
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "textbaustein"]
    future = await _vermerk(http, cid, gespraech_am="2099-01-01T10:00:00+01:00")
    assert future.status_code == 422 and "Zukunft" in future.json()["detail"]
    assert (await _vermerk(http, cid, role="schlichtungsstelle")).status_code == 404  # not a process they work on
    assert (await _vermerk(http, str(uuid.uuid4()))).status_code == 404
    assert (await _vermerk(http, cid, role="teilnehmende")).status_code == 403
    assert (await http.get(f"/cases/{cid}/vermerke", headers=auth("egs"))).json() == []


async def test_vermerke_chain_is_append_only_detects_tampering_and_survives_erasure(backend_http, database):
    case = await _neuantrag(backend_http)
    cid = case["case_id"]
    for n in range(3):
        assert (await _vermerk(backend_http, cid, text=f"Gespräch {n}")).status_code == 201
    with pytest.raises(DBAPIError):  # the database refuses to change a Vermerk's text
        async with database.unit_of_work() as session:
            await session.execute(update(store.Vermerk).where(store.Vermerk.nummer == 2).values(text="geändert"))
    with pytest.raises(DBAPIError):
        async with database.unit_of_work() as session:
            await session.execute(text("DELETE FROM vermerke"))
    # a changed hash (as if written around the triggers) is found
    row = await database.run(
        lambda s: s.query(store.Vermerk).filter_by(case_id=cid, nummer=2).one().__dict__.copy(), read_only=True
    )
    row["text_digest"] = "0" * 64
    assert store.seal(TEST_AUDIT_KEYS, row, row["prev_hash"], row["key_id"]) != row["hash"]
    # erasure: the case closed, the person erased; the texts are gone, the chain still verifies
    await go(backend_http, case, "antrag_zurueckgenommen", "egs")
    r = await backend_http.post(f"/cases/{cid}/loeschung", headers=auth("teamleitung"))
    assert r.status_code == 200, r.text
    assert r.json()["counts"]["vermerke"] == 3
    listed = (await backend_http.get(f"/cases/{cid}/vermerke", headers=auth("egs"))).json()
    assert [v["text"] for v in listed] == [None, None, None]
    assert await database.run(lambda s: store.verify(s, TEST_AUDIT_KEYS, cid), read_only=True) == []
    refused = await _vermerk(backend_http, cid)
    assert refused.status_code == 409


async def test_fallakte_shows_cases_tasks_vermerke_and_plan_in_force_for_readers(backend_http):
    antrag = await _neuantrag(backend_http)
    antrag = await go(backend_http, antrag, "an_clearing_uebergeben", "egs", {"uebergabe": "aufgabe"})
    person = antrag["person"]
    await _vermerk(backend_http, antrag["case_id"], role="jobcoach", textbaustein="clearinggespraech")
    r = await backend_http.post(
        "/cases", json={"process": "kooperationsplan", "kundennummer": person["kundennummer"]}, headers=auth("ifk")
    )
    plan = await go(backend_http, r.json(), "potenzialanalyse_abgeschlossen", "ifk")
    plan = await go(backend_http, plan, "plan_vereinbart", "ifk", PLAN)
    akte = await backend_http.get(f"/people/{person['person_id']}", headers=auth("ifk"))
    assert akte.status_code == 200, akte.text
    akte = akte.json()
    assert akte["person"]["kundennummer"] == person["kundennummer"]
    faelle = {f["process"]["name"]: f for f in akte["faelle"]}
    assert set(faelle) == {"neuantrag", "kooperationsplan"}
    assert faelle["neuantrag"]["state"] == {"name": "clearing_offen", "label": "Clearing offen"}
    assert faelle["kooperationsplan"]["state"]["name"] == "aktiv"
    deadline = faelle["neuantrag"]["deadlines"][0]
    assert deadline["trigger"] == "kontaktaufnahme_faellig" and deadline["label"] != "ohne Termin"
    assert [t["kind"] for t in faelle["neuantrag"]["offene_aufgaben"]] == ["clearing_durchfuehren"]
    assert akte["offene_aufgaben"] == sum(len(f["offene_aufgaben"]) for f in akte["faelle"])
    assert [v["textbaustein"]["label"] for v in akte["letzte_vermerke"]] == ["Clearinggespräch"]
    [vereinbarung] = akte["vereinbarungen"]
    assert vereinbarung["version"] == 1 and vereinbarung["inhalt"]["ziel"] == PLAN["ziel"]
    assert vereinbarung["ueberpruefung_faellig"] is not None
    # the EGS works on the Neuantrag only; the Schlichtungsstelle on neither: the person is unknown to it
    egs = (await backend_http.get(f"/people/{person['person_id']}", headers=auth("egs"))).json()
    assert [f["process"]["name"] for f in egs["faelle"]] == ["neuantrag"] and egs["vereinbarungen"] == []
    for role, pid in (("schlichtungsstelle", person["person_id"]), ("ifk", str(uuid.uuid4()))):
        missing = await backend_http.get(f"/people/{pid}", headers=auth(role))
        assert missing.status_code == 404 and missing.json()["type"] == "/problems/not-found"


async def test_case_lists_the_callers_triggers_with_labels_schemas_and_open_tasks(http):
    case = await _neuantrag(http)
    case = await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "aufgabe"})
    process = PROCESSES["neuantrag"]
    for role in ("jobcoach", "egs", "leistung"):
        read = (await http.get(f"/cases/{case['case_id']}", headers=auth(role))).json()
        triggers = {t["name"]: t for t in read["allowed_triggers"]}
        assert triggers, role
        for name, t in triggers.items():
            assert role in process.trigger(name).roles and t["label"] == process.trigger(name).label
        assert [t["kind"] for t in read["offene_aufgaben"]] == ["clearing_durchfuehren"]
        assert read["deadlines"][0]["label"] == "Aktive Kontaktaufnahme fällig (R5)"
    coach = (await http.get(f"/cases/{case['case_id']}", headers=auth("jobcoach"))).json()
    termin = next(t for t in coach["allowed_triggers"] if t["name"] == "clearingtermin_vereinbart")
    assert "termin" in termin["payload_schema"]["properties"]
    leistung = {
        t["name"]
        for t in (await http.get(f"/cases/{case['case_id']}", headers=auth("leistung"))).json()["allowed_triggers"]
    }
    assert "clearingtermin_vereinbart" not in leistung and "leistung_bewilligt" in leistung


async def test_audit_verify_checks_the_vermerke_chains(backend_http, database, database_url, tmp_path):
    case = await _neuantrag(backend_http)
    for n in range(2):
        assert (await _vermerk(backend_http, case["case_id"], text=f"Gespräch {n}")).status_code == 201
    settings = Settings(
        data_dir=tmp_path,
        audit_keys=json.loads(TEST_AUDIT_ENV["FAHRPLAN_AUDIT_KEYS"]),
        audit_key_id=TEST_AUDIT_KEYS.active,
    )
    code, out = await run_verify(settings, database_url, with_temporal=False)
    assert code == 0 and "Gesprächsvermerke geprüft: 2" in out, out
    await tamper(database, f"UPDATE vermerke SET role = 'ifk' WHERE case_id = '{case['case_id']}' AND nummer = 2")
    code, out = await run_verify(settings, database_url, with_temporal=False)
    assert code == 1, out
    assert f"GEBROCHEN: Fall {case['case_id']}, Sequenz 2: Vermerk 2: Prüfsumme falsch" in out
