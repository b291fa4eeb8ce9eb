"""Participant access (R22, issue 15 item 9): a Jobcoach or IFK issues an expiring, revocable
access for one case; the token is shown once, stored only as a hash, and works as the
`teilnehmende` token of that case and of nothing else."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from persistence.teilnehmendenzugang import Teilnehmendenzugang
from tests.api_fixtures import PERSON, auth, go

TERMIN = {"termin": "2027-12-01T10:00:00+01:00"}


async def _gruppencoaching(http) -> dict:
    r = await http.post("/cases", json={"process": "gruppencoaching", "person": PERSON}, headers=auth("ifk"))
    assert r.status_code == 201, r.text
    return r.json()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_issued_access_is_the_participants_token_for_that_case_only(backend_http, database):
    own, other = await _gruppencoaching(backend_http), await _gruppencoaching(backend_http)
    await go(backend_http, own, "uebergabe_vereinbart", "ifk", TERMIN)  # a letter for the participant
    r = await backend_http.post(f"/cases/{own['case_id']}/teilnehmendenzugang", headers=auth("jobcoach"))
    assert r.status_code == 201, r.text
    issued = r.json()
    token = issued["token"]
    assert token.startswith("tn_") and issued["gueltig"] and issued["issued_by"] == "jobcoach-1"
    assert datetime.fromisoformat(issued["expires_at"]) > datetime.now(UTC) + timedelta(days=89)
    async with database.unit_of_work(read_only=True) as session:  # stored as its hash only
        row = await session.scalar(select(Teilnehmendenzugang))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in str(vars(row))
    me = (await backend_http.get("/me", headers=_bearer(token))).json()
    assert me["roles"] == ["teilnehmende"] and me["case_id"] == own["case_id"]
    assert (await backend_http.get(f"/cases/{own['case_id']}", headers=_bearer(token))).status_code == 200
    assert (await backend_http.get(f"/cases/{other['case_id']}", headers=_bearer(token))).status_code == 404
    letters = (await backend_http.get("/notifications", headers=_bearer(token))).json()
    assert letters and {n["case_id"] for n in letters} == {own["case_id"]}
    assert (await backend_http.get("/tasks", headers=_bearer(token))).status_code == 403
    # listed without the token; revoked, it no longer signs in (revoking again changes nothing)
    listed = (await backend_http.get(f"/cases/{own['case_id']}/teilnehmendenzugang", headers=auth("ifk"))).json()
    assert [z["id"] for z in listed] == [issued["id"]] and "token" not in listed[0]
    path = f"/cases/{own['case_id']}/teilnehmendenzugang/{issued['id']}/widerrufen"
    revoked = await backend_http.post(path, headers=auth("ifk"))
    assert revoked.status_code == 200 and revoked.json()["gueltig"] is False and revoked.json()["revoked_by"] == "ifk-1"
    assert (await backend_http.post(path, headers=auth("ifk"))).json()["revoked_at"] == revoked.json()["revoked_at"]
    assert (await backend_http.get("/me", headers=_bearer(token))).status_code == 401


async def test_expired_access_no_longer_signs_in(http, sqlite_db):
    case = await _gruppencoaching(http)
    issued = (await http.post(f"/cases/{case['case_id']}/teilnehmendenzugang", headers=auth("ifk"))).json()
    assert (await http.get("/me", headers=_bearer(issued["token"]))).status_code == 200
    async with sqlite_db.unit_of_work() as session:
        await session.execute(update(Teilnehmendenzugang).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert (await http.get("/me", headers=_bearer(issued["token"]))).status_code == 401
    listed = (await http.get(f"/cases/{case['case_id']}/teilnehmendenzugang", headers=auth("ifk"))).json()
    assert listed[0]["gueltig"] is False


async def test_only_jobcoach_or_ifk_issue_and_only_for_open_cases_they_read(http):
    case = await _gruppencoaching(http)
    path = f"/cases/{case['case_id']}/teilnehmendenzugang"
    for role in ("egs", "teamleitung", "leistung", "teilnehmende"):
        assert (await http.post(path, headers=auth(role))).status_code == 403, role
    antrag = await http.post(
        "/cases", json={"process": "kooperationsplan", "person": PERSON}, headers=auth("ifk")
    )  # the Jobcoach does not work on plans
    plan_path = f"/cases/{antrag.json()['case_id']}/teilnehmendenzugang"
    assert (await http.post(plan_path, headers=auth("jobcoach"))).status_code == 404
    await go(http, case, "angebot_abgelehnt", "ifk")
    closed = await http.post(path, headers=auth("ifk"))
    assert closed.status_code == 409 and closed.json()["title"] == "Fall abgeschlossen"
    assert (await http.post(f"{path}/99/widerrufen", headers=auth("ifk"))).status_code == 404
    assert (await http.get("/me", headers=_bearer("tn_erfunden"))).status_code == 401
