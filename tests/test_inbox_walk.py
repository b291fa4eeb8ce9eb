"""A caseworker's walk through the API (issue 15): new application → EGS task → handover →
appointment (task due at the appointment, not overdue; the invitation names sender and place) →
rebooking withdraws the old letter → Gruppencoaching refused → Leistung task → Bewilligung → IFK task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api_fixtures import auth, go, new_case
from tests.rkw_support import eventually


async def _inbox(http, role: str, **params) -> list[dict]:
    r = await http.get("/tasks", params=params, headers=auth(role))
    assert r.status_code == 200, r.text
    return r.json()


async def _mine(http, case: dict, role: str, **params) -> list[tuple[str, bool]]:
    return [(t["kind"], t["overdue"]) for t in await _inbox(http, role, case_id=case["case_id"], **params)]


async def _letters(http, case: dict) -> list[dict]:
    r = await http.get("/notifications", params={"case_id": case["case_id"]}, headers=auth("jobcoach"))
    return r.json()


async def test_walk_a_new_application_to_the_ifk_with_a_task_at_every_hand_off(http):
    case = await new_case(http)
    assert await eventually(lambda: _mine(http, case, "egs", overdue="false")) == [("antrag_uebergeben", False)]

    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "terminslot"})
    assert await _mine(http, case, "egs") == []
    assert await _mine(http, case, "jobcoach") == [("clearing_durchfuehren", False)]

    termin = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    await go(http, case, "clearingtermin_vereinbart", "jobcoach", {"termin": termin.isoformat()})
    [task] = await _inbox(http, "jobcoach", case_id=case["case_id"], overdue="false")
    assert task["kind"] == "clearingtermin" and datetime.fromisoformat(task["due"]) == termin
    [letter] = await _letters(http, case)
    assert "Jobcenter Musterkreis" in letter["body"] and "Ort:" in letter["body"]
    assert "Hauptstraße 1" in letter["body"] and "Unser Zeichen: NA-" in letter["body"]

    await go(http, case, "clearingtermin_vereinbart", "jobcoach", {"termin": (termin + timedelta(days=1)).isoformat()})
    assert [n["status"] for n in await _letters(http, case)] == ["zurueckgezogen", "ausstehend"]

    await go(http, case, "gruppencoaching_abgelehnt", "jobcoach")
    assert [n["status"] for n in await _letters(http, case)] == ["zurueckgezogen", "zurueckgezogen"]
    assert await _mine(http, case, "jobcoach") == []
    assert await _mine(http, case, "leistung") == [("leistungsentscheidung", False)]

    done = await go(http, case, "leistung_bewilligt", "leistung")
    assert done["state"]["name"] == "an_ifk_uebergeben"
    assert await _mine(http, case, "leistung") == []
    assert await _mine(http, case, "ifk") == [("fallubernahme", False)]
