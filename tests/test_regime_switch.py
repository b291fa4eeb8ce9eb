"""The regime through the API (R61) and the change of law for a mixed population (R62): cases opened
with their legal start dates before and after 1 July 2026, the regime in GET /cases/{id}, the list
filter and the audit events; then the change command's plan (dry run) and its real run, a second run
that changes nothing, and a replay of every workflow it touched."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date

import httpx
import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from api.app import create_app
from persistence import models as m
from runtime.settings import Settings
from tests.api_fixtures import PERSON, TOKENS, auth, go, step
from tests.cases import rows
from tests.conftest import TEST_SIGNING
from worker import regime_switch
from workflows.processes import WORKFLOWS

STICHTAG = date(2026, 7, 1)
# Open Schlichtungen are withdrawn at teardown: one left running would fire its timer into a closed
# parent later and stop the time-skipping server for every test after it.
pytestmark = pytest.mark.usefixtures("end_all_cases")


@pytest.fixture
async def by_date(client, sqlite_db, worker, tmp_path):
    """The API with the regime chosen by each case's legal start date (nothing pinned)."""
    settings = Settings(
        task_queue=worker.task_queue, api_tokens=TOKENS, data_dir=tmp_path, update_timeout_seconds=20, regime=""
    )
    app = create_app(settings, client=client, db=sqlite_db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test/api/v1") as c:
        yield c, settings


async def _open(http, process: str, role: str, beginn: str | None, facts=None) -> dict:
    body = {"process": process, "person": PERSON, "facts": facts or {}}
    if beginn:
        body["rechtlicher_beginn"] = beginn
    r = await http.post("/cases", json=body, headers=auth(role))
    assert r.status_code == 201, r.text
    return r.json()


async def _read(http, case_id: str, role: str = "teamleitung") -> dict:
    r = await http.get(f"/cases/{case_id}", headers=auth(role))
    assert r.status_code == 200, r.text
    return r.json()


async def _population(http) -> dict[str, dict]:
    plan_2025 = await _open(http, "kooperationsplan", "ifk", "2025-03-01")  # taken over from 2025
    plan_2025 = await go(http, plan_2025, "potenzialanalyse_abgeschlossen", "ifk")
    in_schlichtung = await _open(http, "kooperationsplan", "ifk", "2026-06-20")
    await go(http, in_schlichtung, "potenzialanalyse_abgeschlossen", "ifk")
    in_schlichtung = await go(http, in_schlichtung, "schlichtung_beantragt", "ifk", {"initiiert_von": "elb"})
    antrag = await _open(http, "neuantrag", "egs", "2026-05-04", {"antragsweg": "persoenlich"})
    plan_2026 = await _open(http, "kooperationsplan", "ifk", "2026-07-02")
    today = await _open(http, "kooperationsplan", "ifk", None)
    schlichtung_id = in_schlichtung["links"]["schlichtung"]
    for _ in range(100):  # the child writes its own row with its first activity
        if await rows_of(http, schlichtung_id):
            break
        await asyncio.sleep(0.05)
    return {
        "plan_2025": plan_2025,
        "in_schlichtung": in_schlichtung,
        "antrag": antrag,
        "plan_2026": plan_2026,
        "today": today,
        "schlichtung": await _read(http, schlichtung_id),
    }


async def rows_of(http, case_id):
    r = await http.get(f"/cases/{case_id}", headers=auth("teamleitung"))
    return r.status_code == 200


async def test_legal_start_date_places_the_case_under_its_regime(by_date):
    http, _ = by_date
    cases = await _population(http)
    regimes = {name: (await _read(http, c["case_id"]))["regime"] for name, c in cases.items()}
    assert regimes == {
        "plan_2025": "buergergeld_2023",
        "in_schlichtung": "buergergeld_2023",
        "antrag": "buergergeld_2023",
        "plan_2026": "grundsicherung_2026",
        "today": "grundsicherung_2026",
        "schlichtung": "buergergeld_2023",  # the child runs under its plan's regime
    }
    # R62: under the new law the Schlichtung is not offered and cannot be requested
    await go(http, cases["plan_2026"], "potenzialanalyse_abgeschlossen", "ifk")
    offered = [t["name"] for t in (await _read(http, cases["plan_2026"]["case_id"], "ifk"))["allowed_triggers"]]
    assert "schlichtung_beantragt" not in offered
    refused = await step(http, cases["plan_2026"], "schlichtung_beantragt", "ifk", {"initiiert_von": "elb"})
    assert refused.status_code == 422 and refused.json()["type"] == "/problems/unknown-trigger", refused.text
    offered_old = [t["name"] for t in (await _read(http, cases["plan_2025"]["case_id"], "ifk"))["allowed_triggers"]]
    assert "schlichtung_beantragt" in offered_old and "verwaltungsakt_erlassen" not in offered_old

    listed = await http.get("/cases", params={"regime": "grundsicherung_2026"}, headers=auth("teamleitung"))
    assert {c["case_id"] for c in listed.json()["items"]} == {cases["plan_2026"]["case_id"], cases["today"]["case_id"]}
    events = (await http.get(f"/cases/{cases['plan_2025']['case_id']}/events", headers=auth("teamleitung"))).json()
    assert [e["regime"] for e in events] == ["buergergeld_2023", "buergergeld_2023"]


async def test_refuse_a_legal_start_in_the_future(by_date):
    http, _ = by_date
    body = {"process": "kooperationsplan", "person": PERSON, "facts": {}, "rechtlicher_beginn": "2099-01-01"}
    r = await http.post("/cases", json=body, headers=auth("ifk"))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["loc"] == ["rechtlicher_beginn"] and "Zukunft" in r.json()["detail"]


async def test_change_command_on_a_mixed_population(by_date, client, sqlite_db):
    """Dry run: per process and state what would change and how; the real run changes exactly those
    cases with one audit event each; the Schlichtung runs out under the old law; a second run changes
    nothing; every workflow touched replays."""
    http, settings = by_date
    cases = await _population(http)
    target = settings.regimes().get("grundsicherung_2026")

    planned = await regime_switch.plan(sqlite_db, target)
    counts = Counter((p.process, p.state, p.regel) for p in planned)
    assert counts == {
        ("kooperationsplan", "in_erarbeitung", "wechsel"): 1,
        ("kooperationsplan", "in_schlichtung", "wechsel"): 1,
        ("neuantrag", cases["antrag"]["state"]["name"], "wechsel"): 1,
        ("schlichtung", "beantragt", "auslaufen"): 1,
    }
    text = regime_switch.report(planned, target, STICHTAG, dry_run=True)
    assert "Probelauf" in text and "davon ändern sich 3" in text
    assert "kooperationsplan     in_schlichtung" in text and "auslaufen" in text
    assert {c.regime for c in await rows(sqlite_db, m.Case)} == {"buergergeld_2023", "grundsicherung_2026"}  # unchanged

    outcome = await regime_switch.apply(client, planned, target, settings.regime_policy(target), STICHTAG, TEST_SIGNING)
    assert (outcome.changed, outcome.unchanged, outcome.failed) == (3, 0, [])
    after = {name: (await _read(http, c["case_id"]))["regime"] for name, c in cases.items()}
    assert set(after.values()) == {"grundsicherung_2026", "buergergeld_2023"}
    assert after["schlichtung"] == "buergergeld_2023" and after["plan_2025"] == "grundsicherung_2026"
    changes = [e for e in await rows(sqlite_db, m.CaseEvent) if e.trigger == "regime_gewechselt"]
    assert sorted(e.case_id for e in changes) == sorted(
        cases[n]["case_id"] for n in ("plan_2025", "in_schlichtung", "antrag")
    )
    assert {(e.data["regel"], e.regime) for e in changes} == {("wechsel", "grundsicherung_2026")}

    again = await regime_switch.plan(sqlite_db, target)
    assert [(p.process, p.regel) for p in again] == [("schlichtung", "auslaufen")]
    second = await regime_switch.apply(client, again, target, settings.regime_policy(target), STICHTAG, TEST_SIGNING)
    assert (second.changed, second.unchanged, second.failed) == (0, 0, [])
    assert len([e for e in await rows(sqlite_db, m.CaseEvent) if e.trigger == "regime_gewechselt"]) == 3

    # the moved cases go on under the new law; their histories replay with the current code
    plan = await go(http, cases["plan_2025"], "keine_einigung", "ifk")
    assert (await go(http, plan, "verwaltungsakt_erlassen", "ifk"))["state"]["name"] == "pflichten_per_verwaltungsakt"
    histories = []
    for c in await rows(sqlite_db, m.Case):
        histories.append(await client.get_workflow_handle(c.workflow_id).fetch_history())
    replayer = Replayer(workflows=list(WORKFLOWS.values()), data_converter=client.data_converter, debug_mode=True)
    results = await replayer.replay_workflows(_iterate(histories), raise_on_replay_failure=False)
    assert len(histories) == 6 and not results.replay_failures


async def _iterate(histories: list[WorkflowHistory]):
    for h in histories:
        yield h


async def test_diagram_of_a_process_under_each_regime(by_date):
    http, _ = by_date
    new = await http.get("/processes/kooperationsplan/diagram.mmd", params={"regime": "grundsicherung_2026"})
    old = await http.get("/processes/kooperationsplan/diagram.mmd", params={"regime": "buergergeld_2023"})
    today = await http.get("/processes/kooperationsplan/diagram.mmd")  # nothing pinned: the law in force
    assert new.status_code == old.status_code == 200
    assert "pflichten_per_verwaltungsakt" in new.text and "in_schlichtung" not in new.text
    assert "in_schlichtung" in old.text and "pflichten_per_verwaltungsakt" not in old.text
    assert today.text == new.text
    svg = await http.get("/processes/kooperationsplan/diagram.svg", params={"regime": "grundsicherung_2026"})
    assert svg.status_code == 200 and "Verwaltungsakt" in svg.text
    unknown = await http.get("/processes/kooperationsplan/diagram.mmd", params={"regime": "recht_1900"})
    assert unknown.status_code == 422 and unknown.json()["regimes"] == ["buergergeld_2023", "grundsicherung_2026"]
