"""R53 through the HTTP API: the Schlichtungsperson's proposal is sent as the plan's content, kept
without agreement and read back from the plan case (and from its Schlichtung)."""

from __future__ import annotations

import pytest

from tests.api_fixtures import PAGES_ORIGIN, auth, go, step
from tests.kooperationsplan_support import overlong_plan, plan
from tests.test_kooperationsplan_api import _case, _schlichtung
from tests.test_pages_session import csrf_of
from tests.test_workflow_neuantrag import _eventually

pytestmark = pytest.mark.usefixtures("end_all_cases")
VORSCHLAG = plan("Ich beginne eine Umschulung zur Fachkraft für Lagerlogistik.")


async def test_r53_proposal_without_agreement_is_kept_and_listed_for_the_plan_case(http):
    case, child = await _schlichtung(http)
    await go(
        http, child, "schlichtungsperson_bestellt", "schlichtungsstelle", {"schlichtungsperson": "schlichtungsstelle-1"}
    )
    recorded = await go(http, child, "vorschlag_unterbreitet", "schlichtungsstelle", VORSCHLAG)
    assert recorded["state"]["name"] == "schlichtungsperson_bestellt"
    assert "Umschulung" not in str(recorded["facts"])  # the text stays out of the facts and the history
    await go(http, child, "keine_einigung", "schlichtungsstelle")

    async def state():
        return (await _case(http, case["case_id"]))["state"]["name"]

    await _eventually(state, "ohne_plan")
    plan_case = await _case(http, case["case_id"])
    for case_id in (case["case_id"], child):
        r = await http.get(f"/cases/{case_id}/kooperationsplan/schlichtungsvorschlaege", headers=auth("ifk"))
        assert r.status_code == 200, r.text
        [found] = r.json()
        assert found["inhalt"]["ziel"] == VORSCHLAG["ziel"] and found["erstellt_von"]
        assert found["entwurf"] == plan_case["facts"]["schlichtung_vorschlag_entwurf"]
        assert isinstance(found["aenderungen"], list)  # against no plan in force
    versions = (await http.get(f"/cases/{case['case_id']}/kooperationsplan/versionen", headers=auth("ifk"))).json()
    assert versions == []  # a proposal is never a version of the plan
    # the plan's case page at the workbench shows it too (same app, the pages at the root)
    signin = await http.get(f"{PAGES_ORIGIN}/anmelden")
    body = {"csrf": csrf_of(signin.text), "token": "tok-ifk", "weiter": "/"}
    assert (await http.post(f"{PAGES_ORIGIN}/anmelden", data=body, headers={"Origin": PAGES_ORIGIN})).status_code == 303
    page = await http.get(f"{PAGES_ORIGIN}/faelle/{case['case_id']}")
    assert page.status_code == 200 and "Vorschläge der Schlichtung (R53)" in page.text
    assert VORSCHLAG["ziel"] in page.text and "Aktuellen Plan als PDF" not in page.text  # no version yet


async def test_r53_overlong_proposal_is_refused_and_nothing_is_kept(http):
    case, child = await _schlichtung(http)
    await go(
        http, child, "schlichtungsperson_bestellt", "schlichtungsstelle", {"schlichtungsperson": "schlichtungsstelle-1"}
    )
    r = await step(http, child, "vorschlag_unterbreitet", "schlichtungsstelle", overlong_plan())
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert "DIN-A4-Seite" in r.json()["detail"]
    r = await http.get(f"/cases/{case['case_id']}/kooperationsplan/schlichtungsvorschlaege", headers=auth("ifk"))
    assert r.json() == []
