"""R28 Arbeitgeberservice through the API: employers and network partners as contacts (organisation
data only), conversations with them documented, AGS tasks as R27 priority 4 for the Jobcoaches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api_fixtures import auth, go, new_case

NOW = datetime.now(UTC)
FIRMA = {"art": "arbeitgeber", "name": "Muster Logistik GmbH", "branche": "Logistik", "telefon": "02332 1234"}


async def _kontakt(http, body: dict | None = None, role: str = "jobcoach") -> dict:
    r = await http.post("/arbeitgeber", json=body or FIRMA, headers=auth(role))
    assert r.status_code == 201, r.text
    return r.json()


async def test_r28_create_and_find_employer_and_network_partner(http):
    firma = await _kontakt(http)
    partner = await _kontakt(http, {"art": "netzwerkpartner", "name": "Bildungsträger Ruhr e. V."}, role="teamleitung")
    assert (firma["art"], firma["name"], firma["created_by"]) == ("arbeitgeber", "Muster Logistik GmbH", "jobcoach-1")
    listed = (await http.get("/arbeitgeber", params={"name": "muster"}, headers=auth("ifk"))).json()
    assert [k["id"] for k in listed] == [firma["id"]]  # the IFK read (labour-market advice)
    partners = (await http.get("/arbeitgeber", params={"art": "netzwerkpartner"}, headers=auth("jobcoach"))).json()
    assert [k["id"] for k in partners] == [partner["id"]]
    r = await http.patch(f"/arbeitgeber/{firma['id']}", json={"branche": "Lager"}, headers=auth("jobcoach"))
    assert r.status_code == 200 and r.json()["branche"] == "Lager" and r.json()["name"] == FIRMA["name"]


async def test_r28_refuse_sozialdaten_fields_and_bad_input_in_german(http):
    """Organisations only: fields about a person are refused (422) and nothing is stored."""
    r = await http.post("/arbeitgeber", json={**FIRMA, "geburtsdatum": "1980-01-01"}, headers=auth("jobcoach"))
    assert r.status_code == 422
    r = await http.post("/arbeitgeber", json={**FIRMA, "art": "person"}, headers=auth("jobcoach"))
    assert r.status_code == 422
    assert (await http.get("/arbeitgeber", headers=auth("jobcoach"))).json() == []


async def test_r28_a_contact_keeps_its_name_null_is_refused_and_changes_nothing(http):
    """Found by the fuzzer: PATCH with "name": null answered 500 (NOT NULL in the database)."""
    firma = await _kontakt(http)
    body = {"name": None, "branche": "Lager"}
    r = await http.patch(f"/arbeitgeber/{firma['id']}", json=body, headers=auth("jobcoach"))
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
    assert r.json()["errors"][0]["loc"][-1] == "name"
    unchanged = (await http.get(f"/arbeitgeber/{firma['id']}", headers=auth("jobcoach"))).json()
    assert (unchanged["name"], unchanged["branche"]) == (FIRMA["name"], FIRMA["branche"])


async def test_r28_roles_maintain_and_read(http):
    assert (await http.post("/arbeitgeber", json=FIRMA, headers=auth("egs"))).status_code == 403
    assert (await http.post("/arbeitgeber", json=FIRMA, headers=auth("ifk"))).status_code == 403
    assert (await http.get("/arbeitgeber", headers=auth("leistung"))).status_code == 403
    r = await http.get("/arbeitgeber/999999", headers=auth("jobcoach"))
    assert r.status_code == 404 and "unbekannt" in r.json()["detail"]


async def test_r28_r15_conversation_with_employer_documented(http):
    firma = await _kontakt(http)
    body = {"am": NOW.isoformat(), "notiz": "Zwei Stellen im Lager ab März, Schichtdienst."}
    r = await http.post(f"/arbeitgeber/{firma['id']}/gespraeche", json=body, headers=auth("jobcoach"))
    assert r.status_code == 201, r.text
    assert (r.json()["thema"], r.json()["erfasst_von"]) == ("kontakt_mit_arbeitgeber", "jobcoach-1")
    listed = (await http.get(f"/arbeitgeber/{firma['id']}/gespraeche", headers=auth("ifk"))).json()
    assert [g["notiz"] for g in listed] == [body["notiz"]]
    bad = await http.post(
        f"/arbeitgeber/{firma['id']}/gespraeche", json={"am": NOW.isoformat()}, headers=auth("jobcoach")
    )
    assert bad.status_code == 422
    missing = await http.post("/arbeitgeber/999999/gespraeche", json=body, headers=auth("jobcoach"))
    assert missing.status_code == 404


async def test_r28_r27_ags_tasks_are_priority_4_for_jobcoaches_after_clearing(http):
    """R28 AGS work (four kinds) is an R27 priority-4 task for the Jobcoaches: after clearing (3), before
    everything else (5)."""
    firma = await _kontakt(http)
    case = await new_case(http)
    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    due = (NOW + timedelta(days=3)).isoformat()
    kinds = ["stellenakquise", "bewerbungstag", "begleitung_zum_arbeitgeber", "arbeitsmarktberatung_ifk"]
    for art in kinds:
        body = {"art": art, "due": due, "kontakt_id": firma["id"]}
        if art == "begleitung_zum_arbeitgeber":
            body["case_id"] = case["case_id"]
        r = await http.post("/arbeitgeber/aufgaben", json=body, headers=auth("jobcoach"))
        assert r.status_code == 201, r.text
        assert (r.json()["priority"], r.json()["role"]) == (4, "jobcoach")
        assert "Muster Logistik GmbH" in r.json()["title"]
    inbox = (await http.get("/tasks", headers=auth("jobcoach"))).json()
    assert [(t["priority"], t["kind"]) for t in inbox] == [(3, "clearing_durchfuehren")] + [
        (4, f"ags_{k}") for k in kinds
    ]
    begleitung = next(t for t in inbox if t["kind"] == "ags_begleitung_zum_arbeitgeber")
    assert begleitung["case_id"] == case["case_id"]
    r = await http.post("/arbeitgeber/aufgaben", json={"art": "kaltakquise", "due": due}, headers=auth("jobcoach"))
    assert r.status_code == 422
    r = await http.post("/arbeitgeber/aufgaben", json={"art": "stellenakquise", "due": due}, headers=auth("ifk"))
    assert r.status_code == 403
