"""The staff inbox through the API: R27 order, Jobturbo first (R25), overdue, the link to
the case, claim / complete / reassign, and tasks closed by the transition that resolves them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from runtime.settings import TokenUser
from tests.api_fixtures import auth, go, new_case
from tests.gc_support import GC, TERMIN
from tests.rkw_support import eventually

NOW = datetime.now(UTC)


async def _task(
    gc: GC, priority: int, due: datetime, kind: str = "ags_stellenangebot", role: str = "jobcoach", **extra
) -> dict:
    body = {
        "kind": kind,
        "role": role,
        "title": f"Aufgabe {kind}",
        "priority": priority,
        "due": due.isoformat(),
        **extra,
    }
    r = await gc.http.post("/tasks", json=body, headers=auth("teamleitung"))
    assert r.status_code == 201, r.text
    return r.json()


async def _inbox(gc: GC, role: str = "jobcoach", **params) -> list[dict]:
    r = await gc.http.get("/tasks", params=params, headers=auth(role))
    assert r.status_code == 200, r.text
    return r.json()


async def _in_clearing(gc: GC, uebergabe: str = "warm") -> dict:
    case = await new_case(gc.http)
    await go(gc.http, case, "an_clearing_uebergeben", "egs", {"uebergabe": uebergabe})
    return case


def _second_jobcoach(gc: GC) -> dict[str, str]:
    gc.app.state.tokens["tok-jobcoach-2"] = TokenUser(user="jobcoach-2", roles=["jobcoach"])
    return {"Authorization": "Bearer tok-jobcoach-2"}


async def test_read_tasks_orders_four_r27_kinds_then_due_date(gc):
    """R27: 1 group session, 2 clearing appointment, 3 warm-handover clearing, 4 AGS; within one priority, due first."""
    await _task(gc, 4, NOW - timedelta(days=1), kind="ags_stellenangebot")
    warm = await _in_clearing(gc)
    await _task(gc, 1, NOW + timedelta(days=3), kind="gruppensitzung")
    termin = await _in_clearing(gc)
    await go(gc.http, termin, "clearingtermin_vereinbart", "jobcoach", TERMIN)
    await _task(gc, 1, NOW + timedelta(days=1), kind="gruppensitzung_vorbereiten")
    await _task(gc, 4, NOW + timedelta(days=5), kind="ags_bewerbung")
    inbox = await _inbox(gc)
    assert [(t["priority"], t["kind"]) for t in inbox] == [
        (1, "gruppensitzung_vorbereiten"),
        (1, "gruppensitzung"),
        (2, "clearingtermin"),
        (3, "clearing_durchfuehren"),
        (4, "ags_stellenangebot"),
        (4, "ags_bewerbung"),
    ]
    assert inbox[3]["case_url"] == inbox[3]["link"] == f"/api/v1/cases/{warm['case_id']}"


async def test_read_tasks_puts_jobturbo_case_first_within_its_r27_priority(gc):
    """R25/R27: a Jobturbo case's task goes first within its priority, never above a higher one.

    Changed with issue 19: Jobturbo used to come before every R27 priority."""
    await _task(gc, 1, NOW, kind="gruppensitzung")
    await _in_clearing(gc)
    termin = await _in_clearing(gc)
    await go(gc.http, termin, "clearingtermin_vereinbart", "jobcoach", TERMIN)
    turbo = await gc.case({"jobturbo": True}, probezeit=False)
    await go(gc.http, turbo, "uebergabe_vereinbart", "ifk", TERMIN)
    inbox = await _inbox(gc)
    assert [(t["priority"], t["vorrang"], t["kind"]) for t in inbox] == [
        (1, False, "gruppensitzung"),
        (2, True, "uebergabegespraech"),
        (2, False, "clearingtermin"),
        (3, False, "clearing_durchfuehren"),
    ]
    assert inbox[1]["case_id"] == turbo


async def test_r27_priority_3_only_for_clearing_from_a_warm_handover(gc):
    """R27 (3): clearing from a warm handover; a handover by task or appointment slot is not priority 3."""
    warm = await _in_clearing(gc, "warm")
    aufgabe = await _in_clearing(gc, "aufgabe")
    slot = await _in_clearing(gc, "terminslot")
    prio = {t["case_id"]: t["priority"] for t in await _inbox(gc)}
    assert (prio[warm["case_id"]], prio[aufgabe["case_id"]], prio[slot["case_id"]]) == (3, 5, 5)


async def test_r25_jobturbo_applies_from_the_neuantrag(gc):
    """R25 as amended: Jobturbo from the Neuantrag, at the start or recorded later; first within priority 3."""
    plain = await _in_clearing(gc)
    turbo = await new_case(gc.http, {"antragsweg": "persoenlich", "jobturbo": True})
    await go(gc.http, turbo, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    later = await _in_clearing(gc)
    await go(gc.http, later, "jobturbo_erfasst", "jobcoach")
    await go(gc.http, later, "clearingtermin_vereinbart", "jobcoach", TERMIN)
    inbox = await _inbox(gc)
    assert [(t["priority"], t["vorrang"], t["case_id"]) for t in inbox] == [
        (2, True, later["case_id"]),
        (3, True, turbo["case_id"]),
        (3, False, plain["case_id"]),
    ]


async def test_task_disappears_from_open_inbox_when_its_transition_happens(gc):
    case = await _in_clearing(gc)
    assert [t["kind"] for t in await _inbox(gc, case_id=case["case_id"])] == ["clearing_durchfuehren"]
    await go(gc.http, case, "clearingtermin_vereinbart", "jobcoach", TERMIN)
    assert [t["kind"] for t in await _inbox(gc, case_id=case["case_id"])] == ["clearingtermin"]
    [done] = await _inbox(gc, case_id=case["case_id"], status="erledigt")
    assert done["kind"] == "clearing_durchfuehren" and done["closed_at"] is not None


async def test_mark_task_past_due_as_overdue(gc):
    late = await _task(gc, 4, NOW - timedelta(hours=2))
    await _task(gc, 4, NOW + timedelta(days=2))
    assert late["overdue"] is True
    assert [t["id"] for t in await _inbox(gc, overdue=True)] == [late["id"]]


async def test_claim_task_sets_assignee(gc):
    task = await _task(gc, 4, NOW)
    r = await gc.http.post(f"/tasks/{task['id']}/claim", headers=auth("jobcoach"))
    assert r.status_code == 200 and r.json()["assignee"] == "jobcoach-1"
    assert [t["id"] for t in await _inbox(gc, mine=True)] == [task["id"]]


async def test_claim_task_claimed_by_colleague_returns_409(gc):
    task = await _task(gc, 4, NOW)
    await gc.http.post(f"/tasks/{task['id']}/claim", headers=auth("jobcoach"))
    r = await gc.http.post(f"/tasks/{task['id']}/claim", headers=_second_jobcoach(gc))
    assert r.status_code == 409 and r.json()["assignee"] == "jobcoach-1"


async def test_complete_task_removes_it_from_open_inbox(gc):
    task = await _task(gc, 4, NOW)
    r = await gc.http.post(f"/tasks/{task['id']}/complete", headers=auth("jobcoach"))
    assert r.status_code == 200 and (r.json()["status"], r.json()["closed_by"]) == ("erledigt", "jobcoach-1")
    assert await _inbox(gc) == []


async def test_complete_task_twice_returns_409(gc):
    task = await _task(gc, 4, NOW)
    await gc.http.post(f"/tasks/{task['id']}/complete", headers=auth("jobcoach"))
    r = await gc.http.post(f"/tasks/{task['id']}/complete", headers=auth("jobcoach"))
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"


async def test_complete_task_claimed_by_colleague_returns_409(gc):
    task = await _task(gc, 4, NOW)
    await gc.http.post(f"/tasks/{task['id']}/claim", headers=_second_jobcoach(gc))
    assert (await gc.http.post(f"/tasks/{task['id']}/complete", headers=auth("jobcoach"))).status_code == 409


async def test_reassign_task_to_other_role_moves_it_between_inboxes(gc):
    task = await _task(gc, 4, NOW)
    r = await gc.http.post(f"/tasks/{task['id']}/reassign", json={"role": "ifk"}, headers=auth("jobcoach"))
    assert r.status_code == 200 and r.json()["role"] == "ifk"
    assert await _inbox(gc) == []
    assert [t["id"] for t in await _inbox(gc, "ifk")] == [task["id"]]


async def test_reassign_task_to_colleague_as_teamleitung(gc):
    task = await _task(gc, 4, NOW)
    r = await gc.http.post(
        f"/tasks/{task['id']}/reassign", json={"assignee": "jobcoach-2"}, headers=auth("teamleitung")
    )
    assert r.status_code == 200 and (r.json()["role"], r.json()["assignee"]) == ("jobcoach", "jobcoach-2")


async def test_reassign_task_without_target_returns_422(gc):
    task = await _task(gc, 4, NOW)
    assert (await gc.http.post(f"/tasks/{task['id']}/reassign", json={}, headers=auth("jobcoach"))).status_code == 422


async def test_reassign_task_to_unknown_role_returns_422(gc):
    task = await _task(gc, 4, NOW)
    r = await gc.http.post(f"/tasks/{task['id']}/reassign", json={"role": "teilnehmende"}, headers=auth("jobcoach"))
    assert r.status_code == 422


async def test_complete_task_of_other_role_returns_403(gc):
    task = await _task(gc, 4, NOW)
    assert (await gc.http.post(f"/tasks/{task['id']}/complete", headers=auth("ifk"))).status_code == 403


async def test_claim_unknown_task_returns_404(gc):
    assert (await gc.http.post("/tasks/99999/claim", headers=auth("jobcoach"))).status_code == 404


async def test_create_task_as_jobcoach_returns_403(gc):
    body = {"kind": "ags_stellenangebot", "role": "jobcoach", "title": "x", "priority": 4, "due": NOW.isoformat()}
    assert (await gc.http.post("/tasks", json=body, headers=auth("jobcoach"))).status_code == 403


async def test_create_task_with_priority_out_of_range_returns_422(gc):
    body = {"kind": "ags_stellenangebot", "role": "jobcoach", "title": "x", "priority": 0, "due": NOW.isoformat()}
    assert (await gc.http.post("/tasks", json=body, headers=auth("teamleitung"))).status_code == 422


async def test_create_task_for_unknown_case_returns_404(gc):
    body = {
        "kind": "ags_stellenangebot",
        "role": "jobcoach",
        "title": "x",
        "priority": 4,
        "due": NOW.isoformat(),
        "case_id": "00000000-0000-4000-8000-000000000000",
    }
    assert (await gc.http.post("/tasks", json=body, headers=auth("teamleitung"))).status_code == 404


async def test_read_tasks_as_participant_returns_403(gc):
    who = gc.participant(await gc.case())
    assert (await gc.http.get("/tasks", headers=who)).status_code == 403


async def test_read_tasks_not_overdue_lists_new_application_and_appointment(gc):
    """R18: a new application's EGS task and an appointment three days away are not overdue."""
    case = await new_case(gc.http)
    [egs] = await eventually(lambda: _inbox(gc, "egs", overdue="false"))  # the start is recorded by the workflow
    assert (egs["case_id"], egs["kind"], egs["overdue"]) == (case["case_id"], "antrag_uebergeben", False)
    assert await _inbox(gc, "egs", overdue="true") == []
    await go(gc.http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "terminslot"})
    termin = NOW + timedelta(days=3)
    await go(gc.http, case, "clearingtermin_vereinbart", "jobcoach", {"termin": termin.isoformat()})
    [task] = await _inbox(gc, overdue="false", case_id=case["case_id"])
    assert task["kind"] == "clearingtermin" and datetime.fromisoformat(task["due"]) == termin
