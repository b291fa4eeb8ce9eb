"""The contract's errors: 401, 403, 404, 409, 422 as problem+json, and nothing changes."""

from __future__ import annotations

from tests.api_fixtures import PERSON, auth, new_case, step, trail

PROBLEM = "application/problem+json"


async def test_read_cases_without_token_returns_401(http):
    r = await http.get("/cases")
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    assert r.headers["www-authenticate"] == "Bearer"


async def test_read_cases_with_unknown_token_returns_401(http):
    r = await http.get("/cases", headers={"Authorization": "Bearer falsch"})
    assert r.status_code == 401


async def test_read_unknown_case_returns_404(http):
    r = await http.get("/cases/gibt-es-nicht", headers=auth("ifk"))
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert r.json()["status"] == 404


async def test_fire_trigger_on_unknown_case_returns_404(http):
    r = await step(http, "gibt-es-nicht", "leistung_bewilligt", "leistung")
    assert r.status_code == 404


async def test_fire_trigger_not_allowed_returns_409_with_allowed_triggers(http):
    case = await new_case(http, {"antragsweg": "online"})
    r = await step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM
    body = r.json()
    assert (
        "R10" in body["detail"]
        and {"name": "identitaet_bestaetigt", "label": "Identität bestätigt"} in body["allowed_triggers"]
    )
    assert body["instance"] == f"/api/v1/cases/{case['case_id']}/transitions"
    assert await trail(http, case) == ["fall_angelegt"]


async def test_409_offers_only_the_callers_triggers_with_labels_also_when_repeated(http):
    """The EGS is not offered leistung_bewilligt (which would give it a 403); a repeat with the same
    Idempotency-Key gets the same answer, with `instance` like every problem."""
    case = await new_case(http, {"antragsweg": "online"})
    first = await step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, key="k-409")
    again = await step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, key="k-409")
    for r in (first, again):
        assert r.status_code == 409
        offered = r.json()["allowed_triggers"]
        names = [t["name"] for t in offered]
        assert "identitaet_bestaetigt" in names and "antrag_zurueckgenommen" in names
        assert "leistung_bewilligt" not in names and "antrag_abgelehnt" not in names
        assert all(t["label"] and t["label"] != t["name"] for t in offered)
        assert r.json()["instance"] == f"/api/v1/cases/{case['case_id']}/transitions"
    leistung = await step(http, case, "an_clearing_uebergeben", "leistung", {"uebergabe": "warm"})
    assert leistung.status_code == 403  # not its trigger at all


async def test_fire_trigger_from_wrong_state_returns_409(http):
    case = await new_case(http)
    r = await step(http, case, "gruppencoaching_zugesagt", "jobcoach")
    assert r.status_code == 409
    assert r.json()["state"] == "antrag_eingegangen"


async def test_fire_trigger_with_undeclared_role_returns_403_and_changes_nothing(http):
    case = await new_case(http)
    r = await step(http, case, "an_clearing_uebergeben", "ifk", {"uebergabe": "warm"})
    assert r.status_code == 403 and r.json()["roles"] == ["egs"]
    assert await trail(http, case) == ["fall_angelegt"]


async def test_fire_trigger_with_invalid_payload_returns_422_and_changes_nothing(http):
    case = await new_case(http)
    r = await step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "per_brieftaube"})
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert r.json()["errors"][0]["loc"] == ["uebergabe"]
    assert await trail(http, case) == ["fall_angelegt"]


async def test_fire_unknown_trigger_returns_422(http):
    case = await new_case(http)
    r = await step(http, case, "zaubern", "egs")
    assert r.status_code == 422 and "an_clearing_uebergeben" in r.json()["triggers"]


async def test_fire_trigger_with_unknown_field_returns_422(http):
    case = await new_case(http)
    r = await http.post(
        f"/cases/{case['case_id']}/transitions",
        json={"trigger": "identitaet_bestaetigt", "extra": 1},
        headers=auth("egs"),
    )
    assert r.status_code == 422


async def test_fire_trigger_on_closed_case_returns_409(http):
    case = await new_case(http)
    assert (await step(http, case, "antrag_abgelehnt", "leistung")).status_code == 200
    r = await step(http, case, "leistung_bewilligt", "leistung")
    assert r.status_code == 409 and r.json()["allowed_triggers"] == []


async def test_create_case_with_invalid_facts_returns_422(http):
    r = await http.post(
        "/cases", json={"process": "neuantrag", "person": PERSON, "facts": {"antragsweg": "fax"}}, headers=auth("egs")
    )
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["antragsweg"]


async def test_create_case_of_unknown_process_returns_422(http):
    r = await http.post("/cases", json={"process": "zauberei", "person": PERSON, "facts": {}}, headers=auth("egs"))
    assert r.status_code == 422 and "neuantrag" in r.json()["processes"]


async def test_create_case_by_role_not_allowed_returns_403(http):
    r = await http.post(
        "/cases",
        json={"process": "neuantrag", "person": PERSON, "facts": {"antragsweg": "online"}},
        headers=auth("ifk"),
    )
    assert r.status_code == 403
    assert (await http.get("/cases", headers=auth("ifk"))).json()["total"] == 0


async def test_create_case_with_invalid_postcode_returns_422(http):
    person = PERSON | {"anschrift": PERSON["anschrift"] | {"plz": "12"}}
    r = await http.post(
        "/cases",
        json={"process": "neuantrag", "person": person, "facts": {"antragsweg": "online"}},
        headers=auth("egs"),
    )
    assert r.status_code == 422


async def test_repeat_transition_with_same_idempotency_key_returns_first_result(http):
    case = await new_case(http)
    first = await step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, key="k-1")
    again = await step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, key="k-1")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert await trail(http, case) == ["fall_angelegt", "an_clearing_uebergeben"]


async def test_repeat_refused_transition_with_same_key_returns_same_refusal(http):
    case = await new_case(http, {"antragsweg": "online"})
    first = await step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, key="k-2")
    again = await step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, key="k-2")
    assert first.status_code == again.status_code == 409 and first.json() == again.json()


async def test_reuse_idempotency_key_for_other_request_returns_422(http):
    case = await new_case(http)
    await step(http, case, "identitaet_bestaetigt", "egs", key="k-3")
    r = await step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, key="k-3")
    assert r.status_code == 422 and r.json()["type"] == "/problems/idempotency-key-reused"


async def test_create_case_with_same_idempotency_key_returns_same_case(http):
    first = await new_case(http, None, **{"Idempotency-Key": "antrag-7"})
    again = await new_case(http, None, **{"Idempotency-Key": "antrag-7"})
    assert first["case_id"] == again["case_id"]
    assert (await http.get("/cases", headers=auth("egs"))).json()["total"] == 1


async def test_transition_with_empty_idempotency_key_returns_422_and_changes_nothing(http):
    case = await new_case(http)
    for _ in range(2):  # an empty key must not be stored as a key (the second use would collide)
        r = await http.post(
            f"/cases/{case['case_id']}/transitions",
            json={"trigger": "identitaet_bestaetigt"},
            headers={**auth("egs"), "Idempotency-Key": ""},
        )
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert await trail(http, case) == ["fall_angelegt"]
