"""Real objects for the fuzzer to hit: a case of each process, sessions with a booking,
information events, a hand-made task. Their ids go to the hooks (tests/fuzz/hooks.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx

from tests.kooperationsplan_support import PLAN

PERSON = {"vorname": "Fuzz", "nachname": "Test"}
STARTS = [
    ("neuantrag", {"antragsweg": "persoenlich"}),
    ("neuantrag", {"antragsweg": "online"}),
    ("rechtskreiswechsel", {"alg1_ende": (date.today() + timedelta(days=30)).isoformat(), "standort": "Gevelsberg"}),
    ("kooperationsplan", {}),
    ("gruppencoaching", {"jobturbo": True}),
]


async def seed_data(base: str, token: str) -> dict[str, list]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", headers=headers, timeout=30) as http:
        cases = []
        for process, facts in STARTS:
            r = await http.post("/cases", json={"process": process, "person": PERSON, "facts": facts})
            assert r.status_code == 201, r.text
            cases.append(r.json()["case_id"])
        plan_case, coaching_case = cases[3], cases[4]
        await _fire(http, plan_case, "potenzialanalyse_abgeschlossen")
        await _fire(http, plan_case, "plan_vereinbart", PLAN)  # the PDF endpoints get a real plan
        termin = datetime.now(UTC) + timedelta(hours=1)  # appointments lie ahead (issue 15)
        await _fire(http, coaching_case, "uebergabe_vereinbart", {"termin": termin.isoformat()})
        await _fire(http, coaching_case, "teilnahme_begonnen")  # may book group sessions
        r = await http.post(
            "/sitzungen/plan", json={"von": (date.today() + timedelta(days=7)).isoformat(), "wochen": 2}
        )
        assert r.status_code == 201, r.text
        sitzungen = [s["id"] for s in r.json()]
        assert sitzungen, "the policy plans no group sessions"
        r = await http.post(f"/sitzungen/{sitzungen[-1]}/buchungen", json={"case_id": cases[-1]})
        assert r.status_code == 201, r.text
        buchungen = [r.json()["id"]]
        due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
        r = await http.post(
            "/tasks", json={"kind": "ags_stellenangebot", "role": "teamleitung", "title": "Fuzz", "due": due}
        )
        assert r.status_code == 201, r.text
        tasks = [r.json()["id"]] + [t["id"] for t in (await http.get("/tasks")).json()]
        veranstaltungen = [v["id"] for v in (await http.get("/infoveranstaltungen")).json()][:3]
    return {
        "case_id": cases,
        "sitzung_id": sitzungen,
        "buchung_id": buchungen,
        "task_id": sorted(set(tasks)),
        "veranstaltung_id": veranstaltungen,
    }


async def _fire(http: httpx.AsyncClient, case_id: str, trigger: str, data: dict | None = None) -> None:
    r = await http.post(f"/cases/{case_id}/transitions", json={"trigger": trigger, "data": data or {}})
    assert r.status_code == 200, r.text
