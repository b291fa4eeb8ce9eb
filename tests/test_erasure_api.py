"""Erasure under Art. 17 DSGVO through the HTTP API against a real worker: after
`POST /cases/{id}/loeschung` no column of any table holds the person's data, and the
audit chain still verifies; an open case is refused with 409 and nothing changes."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import inspect, text

from persistence import audit_verify
from persistence.erasure import MARKER
from tests.api_fixtures import auth, go, step
from tests.audit_support import fahrplan_verify
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
TERMIN = {"termin": "2027-12-01T10:00:00+01:00"}  # an appointment lies in the future (R19)


async def dump(db) -> dict[str, list[str]]:
    """Every column of every row of every table, as text."""
    async with db.unit_of_work(read_only=True) as session:
        connection = await session.connection()
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        return {
            t: [repr(tuple(r)) for r in await session.execute(text(f'SELECT * FROM "{t}"'))] for t in sorted(tables)
        }


def found(tables: dict[str, list[str]]) -> dict[str, set[str]]:
    """Which markers occur in which table."""
    hits: dict[str, set[str]] = {}
    for table, rows in tables.items():
        for row in rows:
            hits.setdefault(table, set()).update(mk for mk in MARKERS if mk.lower() in row.lower())
    return {t: h for t, h in hits.items() if h}


async def _sign_in(http, *roles: str) -> None:
    """Staff who sign in are recorded in the staff directory (once): do it before comparing dumps."""
    for role in roles:
        assert (await http.get("/me", headers=auth(role))).status_code == 200


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


async def _verify(db, client, tmp_path) -> tuple[int, str]:
    url = db.url.set(drivername="sqlite").render_as_string(hide_password=False)
    return await fahrplan_verify(url, tmp_path / "verify", client)


async def test_erase_closed_cases_leaves_no_personal_data_and_chain_verifies(http, sqlite_db, client, tmp_path):
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
    code, out = await _verify(sqlite_db, client, tmp_path)  # the database and the workflows
    assert code == 0 and "intakt" in out and "gelöschte Kommentare: 2" in out, out
    assert "Workflows geprüft" in out, out
    # the case stays readable, without a person; its events without the comment
    read = await http.get(f"/cases/{neuantrag['case_id']}", headers=auth("teamleitung"))
    assert read.status_code == 200 and read.json()["person"] is None
    events = (await http.get(f"/cases/{neuantrag['case_id']}/events", headers=auth("teamleitung"))).json()
    assert [e["comment"] for e in events] == [None] * len(events)


async def test_erase_open_case_refused_with_409_and_nothing_changes(http, sqlite_db):
    case = await _create(http, "neuantrag", "egs", {"antragsweg": "persoenlich"})
    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, comment=COMMENT)
    await _sign_in(http, "teamleitung")  # the staff directory learns the team lead: not part of the erasure
    before = await dump(sqlite_db)
    r = await http.post(f"/cases/{case['case_id']}/loeschung", headers=auth("teamleitung"))
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["offene_faelle"] == [case["case_id"]] and "nicht abgeschlossen" in r.json()["detail"]
    assert await dump(sqlite_db) == before


async def test_erase_refused_for_other_roles_and_unknown_case(http, sqlite_db):
    case = await _closed_neuantrag(http)
    await _sign_in(http, "teamleitung", "egs")
    before = await dump(sqlite_db)
    forbidden = await http.post(f"/cases/{case['case_id']}/loeschung", headers=auth("egs"))
    unknown = await http.post("/cases/gibt-es-nicht/loeschung", headers=auth("teamleitung"))
    assert (forbidden.status_code, unknown.status_code) == (403, 404)
    assert forbidden.json()["type"] == "/problems/role-not-allowed" and "Teamleitung" in forbidden.json()["detail"]
    assert await dump(sqlite_db) == before
    assert (await audit_verify.verify(sqlite_db)).ok


async def test_erase_twice_answers_409_already_erased_and_records_nothing(http, sqlite_db):
    case = await _closed_neuantrag(http)
    first = await http.post(f"/cases/{case['case_id']}/loeschung", headers=auth("teamleitung"))
    assert first.status_code == 200, first.text
    before = await dump(sqlite_db)
    again = await http.post(f"/cases/{case['case_id']}/loeschung", headers=auth("teamleitung"))
    assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")
    problem = again.json()
    assert problem["type"] == "/problems/bereits-geloescht" and "bereits gelöscht" in problem["detail"]
    assert problem["loeschung_id"] == first.json()["loeschung_id"]
    assert await dump(sqlite_db) == before  # no second erasures row, nothing else either


def _files(db) -> dict[str, bytes]:
    path = Path(db.url.database)
    return {p.name: p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()}


async def test_erase_leaves_name_neither_in_database_file_nor_wal_nor_hand_made_task(http, sqlite_db):
    """SQLite keeps overwritten pages in the -wal file until a checkpoint (and in free space unless
    secure_delete is on): after the erasure the bytes of both files hold nothing of the person,
    and a task the team lead typed by hand has lost its title."""
    case = await _closed_neuantrag(http)
    task = {"kind": "rueckruf", "role": "egs", "title": "Frau Quastenbrink zurückrufen", "due": "2027-01-04T09:00:00Z"}
    r = await http.post("/tasks", json=task | {"case_id": case["case_id"]}, headers=auth("teamleitung"))
    assert r.status_code == 201, r.text
    before = b"".join(_files(sqlite_db).values())
    assert b"Quastenbrink" in before and b"Zypressenweg" in before  # there to be found
    r = await http.post(f"/cases/{case['case_id']}/loeschung", headers=auth("teamleitung"))
    assert r.status_code == 200 and r.json()["counts"]["aufgaben"] == 1, r.text
    after = _files(sqlite_db)
    for name, content in after.items():
        for marker in ("Wilhelmine", "Quastenbrink", "Zypressenweg", "Quastenhausen", "rief an"):
            assert marker.encode() not in content, (name, marker)
    assert found(await dump(sqlite_db)) == {}


async def test_sqlite_files_are_private(http, sqlite_db):
    await _closed_neuantrag(http)
    path = Path(sqlite_db.url.database)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.parent.glob(path.name + "*")}
    assert set(modes) == {path.name, path.name + "-wal", path.name + "-shm"}
    assert set(modes.values()) == {0o600}, modes
