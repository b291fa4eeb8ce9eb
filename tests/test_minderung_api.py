"""meldetermin and minderung through the HTTP API: started with POST /cases like every process,
German problem+json for bad facts, the Leistung inbox ordered by the § 31b limit (R64, R67)."""

from __future__ import annotations

from datetime import UTC, timedelta

import httpx
import pytest

from api.app import create_app
from runtime.settings import Settings
from tests.access_support import TOKENS, Api
from tests.api_fixtures import auth, go
from tests.minderung_support import ORT, own_time_skipping_server
from tests.rkw_support import eventually


@pytest.fixture
async def api(client, sqlite_db, worker, tmp_path):
    """The API under the law in force today (no pinned regime): grundsicherung_2026, whose
    Meldeversäumnis and § 7b rules these tests show; the case and its facts name the same regime."""
    settings = Settings(
        task_queue=worker.task_queue, api_tokens=TOKENS, data_dir=tmp_path, update_timeout_seconds=20, regime=""
    )
    app = create_app(settings, client=client, db=sqlite_db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test/api/v1") as http:
        yield Api(http, app)


@pytest.fixture
async def env():
    """Its own server: the minderungen opened here outlive their meldetermin (see minderung_support)."""
    environment = await own_time_skipping_server()
    yield environment
    await environment.shutdown()


async def _now(env):
    return (await env.get_current_time()).astimezone(UTC).replace(microsecond=0)


async def _decision_open(api: Api, termin, kundennummer: str | None = None) -> dict:
    """A meldetermin missed without good reason, its hearing answered: the decision is open.
    With `kundennummer`: for that person (else a new one)."""
    facts = {"termin": termin.isoformat(), "ort": ORT}
    if kundennummer is None:
        case = await api.start("meldetermin", "ifk", facts)
    else:
        body = {"process": "meldetermin", "kundennummer": kundennummer, "facts": facts}
        r = await api.http.post("/cases", json=body, headers=auth("ifk"))
        assert r.status_code == 201, r.text
        case = r.json()
    assert (case["state"]["name"], case["facts"]["regime"]) == ("eingeladen", "grundsicherung_2026")
    await go(api.http, case, "nicht_erschienen", "ifk")
    case = await go(api.http, case, "kein_wichtiger_grund", "ifk")
    minderung = await go(api.http, case["links"]["minderung"], "stellungnahme_eingegangen", "ifk")
    assert minderung["state"]["name"] == "entscheidung_offen"
    return minderung


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        ({"ort": ORT}, "termin"),
        ({"termin": "2027-03-01T09:30:00", "ort": ORT}, "termin"),  # no time zone
        ({"termin": "2020-03-02T09:30:00+01:00", "ort": ORT}, "termin"),  # R64: in the past
        ({"termin": "2027-03-01T09:30:00+01:00", "ort": "Raum 1\nFrau Muster"}, "ort"),  # one line, no prose
        ({"termin": "2027-03-01T09:30:00+01:00", "ort": ORT, "regime": "hartz_iv"}, "regime"),
    ],
)
async def test_refuse_bad_facts_with_german_problem_details(api: Api, facts, field):
    body = {"process": "meldetermin", "person": {"vorname": "Erika", "nachname": "Muster"}, "facts": facts}
    r = await api.http.post("/cases", json=body, headers=auth("ifk"))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
    assert r.json()["type"] == "/problems/invalid-facts" and field in r.text


async def test_leistung_inbox_orders_open_decisions_by_the_six_month_limit(api: Api, env):
    now = await _now(env)
    later = await _decision_open(api, now + timedelta(days=3))
    sooner = await _decision_open(api, now + timedelta(days=1))
    r = await api.http.get("/tasks", headers=auth("leistung"))
    assert r.status_code == 200, r.text
    mine = [t for t in r.json() if t["kind"] == "minderung_entscheiden"]
    assert [t["case_id"] for t in mine] == [sooner["case_id"], later["case_id"]]
    assert mine[0]["due"] < mine[1]["due"]
    # R67: the caseworker cannot decide, the Leistung role can
    data = {
        "prozent": 30,
        "monate": 1,
        "beginn": "2027-01-01",
        "haertepruefung": "keine_aussergewoehnliche_haerte",
        "haertepruefung_am": "2026-12-20",
    }
    r = await api.http.post(
        f"/cases/{sooner['case_id']}/transitions",
        json={"trigger": "minderung_festgestellt", "data": data},
        headers=auth("ifk"),
    )
    assert r.status_code == 403 and r.json()["roles"] == ["leistung"]
    r = await api.http.post(
        f"/cases/{sooner['case_id']}/transitions",
        json={"trigger": "minderung_festgestellt", "data": {k: v for k, v in data.items() if k != "haertepruefung"}},
        headers=auth("leistung"),
    )
    assert r.status_code == 422 and "haertepruefung" in r.text  # the hardship check is required (R65)
    done = await go(api.http, sooner, "minderung_festgestellt", "leistung", data)
    assert done["state"]["name"] == "festgestellt"


async def test_meldeaufforderung_is_the_ifks_and_withdrawn_when_the_appointment_is_called_off(api: Api):
    """R19: the invitation of a case opened by the API goes out, signed by the caseworker's unit;
    one not yet sent goes nowhere once the appointment is cancelled."""
    case = await api.start("meldetermin", "ifk", {"termin": "2099-06-01T09:30:00+02:00", "ort": ORT})

    async def letters() -> list[dict]:
        r = await api.http.get("/notifications", params={"case_id": case["case_id"]}, headers=auth("ifk"))
        assert r.status_code == 200, r.text
        return r.json()

    [letter] = await eventually(letters)  # the workflow writes it when it records the start
    assert (letter["template"], letter["status"]) == ("einladung_meldetermin", "ausstehend")
    assert "Integrationsfachkräfte" in letter["body"] and "Jobakademie" not in letter["body"]
    await go(api.http, case, "termin_abgesagt", "ifk")
    assert [(n["template"], n["status"]) for n in await letters()] == [("einladung_meldetermin", "zurueckgezogen")]


async def test_fallakte_shows_running_and_past_minderungen_with_the_six_month_limit(api: Api, env):
    """R64–R67: the Fallakte (JSON and page) lists the person's Minderungen, the running one first:
    state, Anlass, regime, the system's proposal, what Leistung decided and when, and the § 31b limit."""
    from datetime import datetime

    from statemachines.kooperationsplan import add_months

    now = await _now(env)
    decided = await _decision_open(api, now + timedelta(days=1))
    person = (await api.state(decided["case_id"]))["person"]
    running = await _decision_open(api, now + timedelta(days=2), person["kundennummer"])
    data = {
        "prozent": 10,
        "monate": 1,
        "beginn": "2027-01-01",
        "haertepruefung": "haerte_durch_geringere_minderung_beruecksichtigt",
        "haertepruefung_am": "2026-12-20",
    }
    await go(api.http, decided, "minderung_festgestellt", "leistung", data)
    person_id = person["person_id"]
    r = await api.http.get(f"/people/{person_id}", headers=auth("leistung"))
    assert r.status_code == 200, r.text
    mine = {m["case_id"]: m for m in r.json()["minderungen"]}
    assert list(mine) == [running["case_id"], decided["case_id"]]  # the running one first
    offen, fertig = mine[running["case_id"]], mine[decided["case_id"]]
    assert (offen["laeuft"], offen["state"]["name"], offen["prozent"], offen["entschieden_am"]) == (
        True,
        "entscheidung_offen",
        None,
        None,
    )
    assert (offen["anlass"]["name"], offen["regime"]["name"]) == ("meldeversaeumnis", "grundsicherung_2026")
    assert offen["anlass"]["label"].startswith("Meldeversäumnis") and offen["vorschlag"]["monate"] >= 0
    ereignis = datetime.fromisoformat(offen["ereignis_am"])
    assert datetime.fromisoformat(offen["frist_feststellung"]) == add_months(ereignis, 6)  # § 31b
    assert (fertig["laeuft"], fertig["state"]["name"], fertig["prozent"], fertig["monate"], fertig["beginn"]) == (
        False,
        "festgestellt",
        10,
        1,
        "2027-01-01",
    )
    assert fertig["haertepruefung"]["label"] == "Härte durch geringere Minderung berücksichtigt"
    assert fertig["entschieden_am"] is not None and fertig["vorschlag"] is not None
    # a role that may not read minderung cases sees none of them
    r = await api.http.get(f"/people/{person_id}", headers=auth("schlichtungsstelle"))
    assert r.status_code == 404 or r.json()["minderungen"] == []
