"""A case keeps the policy it started with (R60), in the workflow and in the API: after the
policy changes, the API offers what the case's workflow allows, not what today's policy would.

`schlichtung_verfuegbar` (R50) guards `schlichtung_beantragt`: two API instances on the same
database, worker and Temporal server, one with the Schlichtung available and one without."""

from __future__ import annotations

import httpx
import pytest

from api.app import create_app
from persistence import models as m
from persistence import policies
from runtime.settings import Settings
from statemachines import Policy
from tests.api_fixtures import PERSON, TOKENS, auth
from tests.cases import rows
from tests.test_workflow_neuantrag import _eventually

pytestmark = pytest.mark.usefixtures("end_all_cases")
WITH, WITHOUT = Policy(schlichtung_verfuegbar=True), Policy(schlichtung_verfuegbar=False)
IFK = "ifk"


@pytest.fixture
async def apis(client, sqlite_db, worker, tmp_path):
    """The API with the Schlichtung available, and the same API after the policy dropped it."""
    opened = []
    for policy in (WITH, WITHOUT):
        settings = Settings(task_queue=worker.task_queue, api_tokens=TOKENS, data_dir=tmp_path, policy=policy)
        app = create_app(settings, client=client, db=sqlite_db)
        opened.append(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test/api/v1"))
    yield opened
    for http in opened:
        await http.aclose()


async def _plan_case(http) -> dict:
    r = await http.post("/cases", json={"process": "kooperationsplan", "person": PERSON}, headers=auth(IFK))
    assert r.status_code == 201, r.text
    r = await _step(http, r.json()["case_id"], "potenzialanalyse_abgeschlossen")
    assert r.status_code == 200 and r.json()["state"]["name"] == "in_erarbeitung", r.text
    return r.json()


async def _step(http, case_id: str, trigger: str, data: dict | None = None) -> httpx.Response:
    body = {"trigger": trigger, "data": data or {}}
    return await http.post(f"/cases/{case_id}/transitions", json=body, headers=auth(IFK))


async def _offered(http, case_id: str) -> list[str]:
    r = await http.get(f"/cases/{case_id}", headers=auth(IFK))
    assert r.status_code == 200, r.text
    return [t["name"] for t in r.json()["allowed_triggers"]]


async def _workflow_allows(http, case_id: str) -> list[str]:
    """What the case's workflow allows now: its refusal of a trigger the state has no transition
    for lists them (all of them are the IFK's here)."""
    r = await _step(http, case_id, "mitwirkung_erbracht")
    assert r.status_code == 409 and r.json()["type"] == "/problems/trigger-not-allowed", r.text
    return [t["name"] for t in r.json()["allowed_triggers"]]


async def test_api_offers_what_the_workflow_allows_after_the_policy_changed(apis, sqlite_db):
    before, after = apis
    started_with = await _plan_case(before)  # the Schlichtung available (R50)
    started_without = await _plan_case(after)  # opened once the policy dropped it

    # Each case is read with its own policy, whichever API instance (today's policy) answers.
    for http in (before, after):
        assert "schlichtung_beantragt" in await _offered(http, started_with["case_id"])
        assert "schlichtung_beantragt" not in await _offered(http, started_without["case_id"])
    for case in (started_with, started_without):
        assert await _offered(after, case["case_id"]) == await _workflow_allows(after, case["case_id"])
        assert await _offered(before, case["case_id"]) == await _workflow_allows(before, case["case_id"])

    # And the workflows decide so: the step the API offers works, the one it does not is refused.
    refused = await _step(before, started_without["case_id"], "schlichtung_beantragt", {"initiiert_von": "elb"})
    assert refused.status_code == 409 and "schlichtung_beantragt" not in [
        t["name"] for t in refused.json()["allowed_triggers"]
    ]
    taken = await _step(after, started_with["case_id"], "schlichtung_beantragt", {"initiiert_von": "elb"})
    assert taken.status_code == 200 and taken.json()["state"]["name"] == "in_schlichtung", taken.text

    # Stored once per content, each case naming its own.
    [with_row] = await rows(sqlite_db, m.Case, case_id=started_with["case_id"])
    [without_row] = await rows(sqlite_db, m.Case, case_id=started_without["case_id"])
    assert with_row.policy_id == policies.policy_id(policies.policy_values(WITH), "buergergeld_2023")
    assert without_row.policy_id == policies.policy_id(policies.policy_values(WITHOUT), "buergergeld_2023")
    assert len(await rows(sqlite_db, m.StoredPolicy)) == 2


async def test_case_opened_by_a_case_gets_its_policy_from_the_workflow(apis, sqlite_db):
    """A Schlichtung is opened by its plan case's workflow, not by the API: record_transition
    stores the policy the child runs with (its parent's) with its read-model row."""
    before, after = apis
    case = await _plan_case(before)
    taken = await _step(after, case["case_id"], "schlichtung_beantragt", {"initiiert_von": "elb"})
    assert taken.status_code == 200, taken.text
    child_id = taken.json()["links"]["schlichtung"]

    async def child_policy() -> str | None:
        found = await rows(sqlite_db, m.Case, case_id=child_id)
        return found[0].policy_id if found else None

    await _eventually(child_policy, policies.policy_id(policies.policy_values(WITH), "buergergeld_2023"))
    r = await after.get(f"/cases/{child_id}", headers=auth("schlichtungsstelle"))
    assert r.status_code == 200 and r.json()["state"]["name"] == "beantragt", r.text
