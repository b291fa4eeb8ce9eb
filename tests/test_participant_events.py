"""Issue 13, item 7: a participant (`teilnehmende`) reads the trail of their own case without
internal staff notes and without staff ids; staff still see everything."""

from __future__ import annotations

from tests.access_support import Api
from tests.api_fixtures import auth, go

NOTE = "interne Notiz: Kundin wirkte unsicher"


async def test_participant_sees_no_staff_comments_and_no_staff_ids(api: Api):
    assert (await api.http.get("/me", headers=auth("teamleitung"))).status_code == 200  # a known staff id
    plan = await api.start("kooperationsplan", "ifk")
    await go(api.http, plan, "potenzialanalyse_abgeschlossen", "ifk", comment=NOTE)
    await go(api.http, plan, "fachkraft_beteiligt", "ifk", {"fachkraft": "teamleitung-1"}, comment=NOTE)
    staff = (await api.http.get(f"/cases/{plan['case_id']}/events", headers=auth("ifk"))).json()
    assert [e["comment"] for e in staff] == [None, NOTE, NOTE] and staff[-1]["data"]["fachkraft"] == "teamleitung-1"
    assert {e["actor"] for e in staff} == {"ifk-1"}
    r = await api.http.get(f"/cases/{plan['case_id']}/events", headers=api.participant(plan["case_id"]))
    assert r.status_code == 200
    seen = r.json()
    assert [e["trigger"]["name"] for e in seen] == [e["trigger"]["name"] for e in staff]
    assert [e["comment"] for e in seen] == [None, None, None]
    assert {e["actor"] for e in seen} == {"Jobcenter"}
    assert "ifk-1" not in r.text and "teamleitung-1" not in r.text and "interne Notiz" not in r.text
