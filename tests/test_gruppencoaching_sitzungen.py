"""R21 on the time-skipping server: a fixed time before each session the bookings are
counted; too few raise a priority-1 decision task for the Jobcoaches, and the
recorded decision closes it."""

from __future__ import annotations

from datetime import datetime, timedelta

from statemachines import Policy
from tests.api_fixtures import auth
from tests.gc_support import GC
from tests.test_workflow_neuantrag import _eventually


async def _past_check(gc: GC, sitzung: dict) -> None:
    """Skip time to just after the session's R21 check."""
    now = await gc.env.get_current_time()
    await gc.env.sleep(datetime.fromisoformat(sitzung["pruefung_um"]) - now + timedelta(hours=1))


async def _status(gc: GC, sitzung: dict) -> str:
    return (await gc.sitzung(sitzung))["status"]


async def _decision_tasks(gc: GC, status: str = "offen") -> list[dict]:
    tasks = (await gc.http.get("/tasks", params={"status": status}, headers=auth("jobcoach"))).json()
    return [t for t in tasks if t["kind"] == "gc_entscheidung"]


async def _under_minimum(gc: GC) -> dict:
    sitzung = (await gc.sessions())[0]
    assert (await gc.book(sitzung, gc.participant(await gc.case()))).status_code == 201
    await _past_check(gc, sitzung)
    await _eventually(lambda: _status(gc, sitzung), "entscheidung_offen")
    return sitzung


async def test_keep_session_planned_before_check_time(gc):
    sitzung = (await gc.sessions())[0]
    await gc.env.sleep(timedelta(hours=1))
    assert await _status(gc, sitzung) == "geplant"
    assert await _decision_tasks(gc) == []


async def test_raise_decision_task_for_session_under_minimum(gc):
    sitzung = await _under_minimum(gc)
    [task] = await _decision_tasks(gc)
    assert (task["priority"], task["role"], task["case_id"]) == (1, "jobcoach", None)
    assert task["link"] == f"/api/v1/sitzungen/{sitzung['id']}"
    assert "nur 1 von mindestens 2" in task["title"] and task["due"] == sitzung["beginn"].replace("+00:00", "Z")


async def test_confirm_session_with_enough_bookings_without_task(gc):
    sitzung = (await gc.sessions())[0]
    for _ in range(2):
        await gc.book(sitzung, gc.participant(await gc.case()))
    await _past_check(gc, sitzung)
    await _eventually(lambda: _status(gc, sitzung), "bestaetigt")
    assert await _decision_tasks(gc) == []


async def test_record_decision_closes_decision_task(gc):
    sitzung = await _under_minimum(gc)
    r = await gc.http.post(
        f"/sitzungen/{sitzung['id']}/entscheidung", json={"entscheidung": "minigruppe"}, headers=auth("jobcoach")
    )
    assert r.status_code == 200 and (r.json()["status"], r.json()["entscheidung"]) == ("entschieden", "minigruppe")
    assert await _decision_tasks(gc) == []
    [done] = await _decision_tasks(gc, "erledigt")
    assert done["closed_by"] == "jobcoach-1"


async def test_record_shortening_sets_new_duration(gc):
    sitzung = await _under_minimum(gc)
    body = {"entscheidung": "verkuerzen", "dauer_minuten": 90, "kommentar": "Nur ein Modul"}
    r = await gc.http.post(f"/sitzungen/{sitzung['id']}/entscheidung", json=body, headers=auth("teamleitung"))
    assert r.status_code == 200 and r.json()["dauer_minuten"] == 90


async def test_record_shortening_without_duration_returns_422(gc):
    sitzung = await _under_minimum(gc)
    r = await gc.http.post(
        f"/sitzungen/{sitzung['id']}/entscheidung", json={"entscheidung": "verkuerzen"}, headers=auth("jobcoach")
    )
    assert r.status_code == 422
    assert await _status(gc, sitzung) == "entscheidung_offen"


async def test_record_decision_without_pending_check_returns_409(gc):
    sitzung = (await gc.sessions())[0]
    r = await gc.http.post(
        f"/sitzungen/{sitzung['id']}/entscheidung", json={"entscheidung": "durchfuehren"}, headers=auth("jobcoach")
    )
    assert r.status_code == 409


async def test_record_decision_as_ifk_returns_403(gc):
    sitzung = await _under_minimum(gc)
    r = await gc.http.post(
        f"/sitzungen/{sitzung['id']}/entscheidung", json={"entscheidung": "durchfuehren"}, headers=auth("ifk")
    )
    assert r.status_code == 403


async def test_book_session_switched_to_individual_coaching_returns_409(gc):
    sitzung = await _under_minimum(gc)
    await gc.http.post(
        f"/sitzungen/{sitzung['id']}/entscheidung", json={"entscheidung": "einzelcoaching"}, headers=auth("jobcoach")
    )
    r = await gc.book(sitzung, gc.participant(await gc.case()))
    assert r.status_code == 409 and "Einzelcoaching" in r.json()["detail"]


async def test_complete_decision_task_by_hand_returns_409(gc):
    await _under_minimum(gc)
    [task] = await _decision_tasks(gc)
    r = await gc.http.post(f"/tasks/{task['id']}/complete", headers=auth("jobcoach"))
    assert r.status_code == 409 and "/entscheidung" in r.json()["detail"]


async def _booked(gc: GC, sitzung: dict, n: int) -> list[tuple[dict, dict]]:
    """n cases booked into the session: (booking, the participant's headers)."""
    booked = []
    for _ in range(n):
        who = gc.participant(await gc.case())
        r = await gc.book(sitzung, who)
        assert r.status_code == 201, r.text
        booked.append((r.json(), who))
    return booked


async def test_r21_cancellation_after_the_check_raises_the_decision_again(gc):
    """R21: the check is not once and for all; a cancellation that takes the session under the minimum
    after it raises the decision (changed with issue 19: cancellations after the check were never seen)."""
    sitzung = (await gc.sessions())[0]
    [(first, who), _] = await _booked(gc, sitzung, 2)
    await _past_check(gc, sitzung)
    await _eventually(lambda: _status(gc, sitzung), "bestaetigt")
    assert await _decision_tasks(gc) == []
    assert (await gc.http.delete(f"/buchungen/{first['id']}", headers=who)).status_code == 204
    assert await _status(gc, sitzung) == "entscheidung_offen"
    [task] = await _decision_tasks(gc)
    assert task["priority"] == 1 and "nach Stornierungen nur 1 von mindestens 2" in task["title"]


async def test_r21_cancellation_below_the_decided_bookings_raises_it_again(gc):
    """R21: decided to run with 1 booking; the last one cancels: the decided task opens again."""
    sitzung = (await gc.sessions())[0]
    [(only, who)] = await _booked(gc, sitzung, 1)
    await _past_check(gc, sitzung)
    await _eventually(lambda: _status(gc, sitzung), "entscheidung_offen")
    r = await gc.http.post(
        f"/sitzungen/{sitzung['id']}/entscheidung", json={"entscheidung": "durchfuehren"}, headers=auth("jobcoach")
    )
    assert r.status_code == 200
    assert await _decision_tasks(gc) == []
    assert (await gc.http.delete(f"/buchungen/{only['id']}", headers=who)).status_code == 204
    [task] = await _decision_tasks(gc)
    assert "nur 0 von mindestens 2" in task["title"] and task["closed_at"] is None


async def test_r21_too_many_no_shows_raise_the_individual_or_mini_group_decision(gc):
    """R21: "bei zu vielen Ausfällen" (threshold from the policy) a decision task for the Jobcoaches."""
    gc.app.state.usecases.buchungen.policy = Policy(gc_ausfaelle_schwelle=2)
    sitzung = (await gc.sessions())[0]
    booked = await _booked(gc, sitzung, 2)

    async def absent(booking: dict):
        r = await gc.http.put(
            f"/buchungen/{booking['id']}/anwesenheit", json={"anwesend": False}, headers=auth("jobcoach")
        )
        assert r.status_code == 200, r.text

    async def ausfall_tasks():
        tasks = (await gc.http.get("/tasks", headers=auth("jobcoach"))).json()
        return [t for t in tasks if t["kind"] == "gc_ausfaelle"]

    await absent(booked[0][0])
    assert await ausfall_tasks() == []
    await absent(booked[1][0])
    [task] = await ausfall_tasks()
    assert (task["priority"], task["role"], task["link"]) == (1, "jobcoach", f"/api/v1/sitzungen/{sitzung['id']}")
    assert "2 Ausfälle" in task["title"] and "Einzel- oder Minigruppencoaching" in task["title"]
