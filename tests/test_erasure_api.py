"""Erasure under Art. 17 DSGVO through the HTTP API against a real worker: after
`POST /cases/{id}/loeschung` no column of any table holds the person's data, and the
audit chain still verifies; an open case is refused with 409 and nothing changes."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sqlalchemy import inspect, text

from persistence import audit
from persistence.erasure import MARKER
from tests.api_fixtures import auth, go, http, step, worker  # noqa: F401
from tests.kooperationsplan_support import plan

# Recognisable, ASCII (JSON columns store non-ASCII escaped), found nowhere else.
PERSON = {
    "vorname": "Wilhelmine",
    "nachname": "Quastenbrink",
    "geburtsdatum": "1979-03-17",
    "anschrift": {"strasse": "Zypressenweg 77", "plz": "58332", "ort": "Quastenhausen"},
}
COMMENT = "Frau Quastenbrink rief an, Termin passt"
PLAN = plan("Wilhelmine Quastenbrink findet bis Juni eine Stelle als Fachkraft fuer Lagerlogistik.")
MARKERS = ("Wilhelmine", "Quastenbrink", "Zypressenweg", "Quastenhausen", "1979-03-17", "17.03.1979", "rief an")
TERMIN = {"termin": "2026-12-01T10:00:00+01:00"}
FAHRPLAN = str(Path(sys.executable).with_name("fahrplan"))


async def dump(db) -> dict[str, list[str]]:
    """Every column of every row of every table, as text."""
    async with db.unit_of_work(read_only=True) as session:
        connection = await session.connection()
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        return {t: [repr(tuple(r)) for r in await session.execute(text(f'SELECT * FROM "{t}"'))] for t in sorted(tables)}


def found(tables: dict[str, list[str]]) -> dict[str, set[str]]:
    """Which markers occur in which table."""
    hits: dict[str, set[str]] = {}
    for table, rows in tables.items():
        for row in rows:
            hits.setdefault(table, set()).update(mk for mk in MARKERS if mk.lower() in row.lower())
    return {t: h for t, h in hits.items() if h}


async def _create(http, process: str, role: str, facts: dict) -> dict:
    r = await http.post("/cases", json={"process": process, "person": PERSON, "facts": facts}, headers=auth(role))
    assert r.status_code == 201, r.text
    return r.json()


async def _closed_neuantrag(http) -> dict:
    """A letter with the name, a comment naming the person, a stored response, a Fallübergabe (R13)."""
    case = await _create(http, "neuantrag", "egs", {"antragsweg": "persoenlich"})
    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, comment=COMMENT)
    r = await step(http, case, "clearingtermin_vereinbart", "jobcoach", TERMIN, comment=COMMENT, key="termin-1")
    assert r.status_code == 200, r.text
    await go(http, case, "gruppencoaching_abgelehnt", "jobcoach")
    done = await go(http, case, "leistung_bewilligt", "leistung")
    assert done["final"], done["state"]
    return case


async def _closed_plan(http) -> dict:
    case = await _create(http, "kooperationsplan", "ifk", {})
    await go(http, case, "potenzialanalyse_abgeschlossen", "ifk")
    await go(http, case, "plan_vereinbart", "ifk", PLAN)
    assert (await go(http, case, "leistungsbezug_beendet", "ifk"))["final"]
    return case


async def _verify(db) -> tuple[int, str]:
    url = db.url.set(drivername="sqlite").render_as_string(hide_password=False)
    process = await asyncio.create_subprocess_exec(
        FAHRPLAN, "audit", "verify", "--database-url", url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await process.communicate()
    return process.returncode, out.decode()


async def test_erase_closed_cases_leaves_no_personal_data_and_chain_verifies(http, sqlite_db):
    neuantrag, kp = await _closed_neuantrag(http), await _closed_plan(http)
    before = found(await dump(sqlite_db))
    assert set(before) == {"people", "case_events", "transition_requests", "notifications", "plan_versions"}, before
    assert set().union(*before.values()) == set(MARKERS)  # every marker is there to be found
    assert {"Quastenbrink", "17.03.1979", "rief an"} <= before["notifications"]  # letters, Fallübergabe (R13)

    for case in (neuantrag, kp):
        r = await http.post(f"/cases/{case['case_id']}/loeschung", headers=auth("teamleitung"))
        assert r.status_code == 200, r.text
        assert r.json()["case_ids"] == [case["case_id"]] and r.json()["actor"] == "teamleitung-1"

    after = await dump(sqlite_db)
    assert found(after) == {}
    assert any(MARKER in row for row in after["notifications"])
    assert len(after["erasures"]) == 2 and "teamleitung-1" in after["erasures"][0]
    code, out = await _verify(sqlite_db)
    assert code == 0 and "intakt" in out and "gelöschte Kommentare: 2" in out, out
    # the case stays readable, without a person; its events without the comment
    read = await http.get(f"/cases/{neuantrag['case_id']}", headers=auth("teamleitung"))
    assert read.status_code == 200 and read.json()["person"] is None
    events = (await http.get(f"/cases/{neuantrag['case_id']}/events", headers=auth("teamleitung"))).json()
    assert [e["comment"] for e in events] == [None] * len(events)


async def test_erase_open_case_refused_with_409_and_nothing_changes(http, sqlite_db):
    case = await _create(http, "neuantrag", "egs", {"antragsweg": "persoenlich"})
    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, comment=COMMENT)
    before = await dump(sqlite_db)
    r = await http.post(f"/cases/{case['case_id']}/loeschung", headers=auth("teamleitung"))
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["offene_faelle"] == [case["case_id"]] and "nicht abgeschlossen" in r.json()["detail"]
    assert await dump(sqlite_db) == before


async def test_erase_refused_for_other_roles_and_unknown_case(http, sqlite_db):
    case = await _closed_neuantrag(http)
    before = await dump(sqlite_db)
    forbidden = await http.post(f"/cases/{case['case_id']}/loeschung", headers=auth("egs"))
    unknown = await http.post("/cases/gibt-es-nicht/loeschung", headers=auth("teamleitung"))
    assert (forbidden.status_code, unknown.status_code) == (403, 404)
    assert forbidden.json()["type"] == "/problems/role-not-allowed" and "Teamleitung" in forbidden.json()["detail"]
    assert await dump(sqlite_db) == before
    assert (await audit.verify(sqlite_db)).ok
