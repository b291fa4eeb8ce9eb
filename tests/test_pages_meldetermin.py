"""The Fallakte's form "Zum Meldetermin einladen" over HTTP, without a browser (issue 18 item 6):
api/pages/people.py starts the meldetermin through CaseCommands.create like POST /api/v1/cases.
Only the start roles see the form; a double submit opens one case; bad input comes back in German
at its fields and opens nothing; a crafted post of another role gets the refusal page. The
browser path is in tests/test_browser_minderung.py."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.api_fixtures import PERSON, auth
from tests.minderung_support import ORT
from tests.test_pages_session import csrf_of, sign_in

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def http(pages_http):
    """Pages and JSON API of one app, with a real worker (tests/api_fixtures.py)."""
    return pages_http


def _local(days: float) -> str:
    """A datetime-local value (Berlin time) `days` from now."""
    return (datetime.now(BERLIN) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


async def _person(http: httpx.AsyncClient) -> str:
    """A person with one meldetermin, opened over the API by the IFK."""
    termin = (datetime.now(BERLIN) + timedelta(days=5)).replace(microsecond=0).isoformat()
    body = {"process": "meldetermin", "person": PERSON, "facts": {"termin": termin, "ort": ORT}}
    r = await http.post("/api/v1/cases", json=body, headers=auth("ifk"))
    assert r.status_code == 201, r.text
    return r.json()["person"]["person_id"]


async def _meldetermine(http: httpx.AsyncClient, person_id: str) -> list[dict]:
    r = await http.get(f"/api/v1/people/{person_id}", headers=auth("ifk"))
    assert r.status_code == 200, r.text
    return [f for f in r.json()["faelle"] if f["process"]["name"] == "meldetermin"]


def _form(html: str) -> dict[str, str]:
    """csrf and the Idempotency-Key the rendered form carries."""
    key = re.search(r'name="schluessel" value="([^"]+)"', html).group(1)
    return {"csrf": csrf_of(html), "schluessel": key}


async def test_r64_the_fallakte_invites_once_even_when_the_form_is_sent_twice(http):
    """R64: the IFK invites from the Fallakte; the regime is the system's; a double submit with the
    form's Idempotency-Key opens one case, and both answers lead to it."""
    person_id = await _person(http)
    await sign_in(http, "tok-ifk")
    page = await http.get(f"/personen/{person_id}")
    assert page.status_code == 200 and '<h2 id="einladen">Zum Meldetermin einladen</h2>' in page.text
    assert 'type="datetime-local"' in page.text and 'name="ort"' in page.text and 'name="regime"' not in page.text
    termin = _local(3)
    form = {**_form(page.text), "termin": termin, "ort": ORT}
    first = await http.post(f"/personen/{person_id}/meldetermin", data=form)
    again = await http.post(f"/personen/{person_id}/meldetermin", data=form)
    assert first.status_code == again.status_code == 303, first.text
    assert first.headers["location"] == again.headers["location"]
    case_id = first.headers["location"].split("?")[0].removeprefix("/faelle/")
    assert "Zum%20Meldetermin%20eingeladen" in first.headers["location"]
    assert len(await _meldetermine(http, person_id)) == 2  # the one from the API and this one
    case = (await http.get(f"/api/v1/cases/{case_id}", headers=auth("ifk"))).json()
    assert case["state"]["name"] == "eingeladen" and case["person"]["person_id"] == person_id
    assert datetime.fromisoformat(case["facts"]["termin"]) == datetime.fromisoformat(termin).replace(tzinfo=BERLIN)
    # the case's own regime (R61; the tests pin buergergeld_2023), in the case and in its facts
    assert case["facts"]["ort"] == ORT and case["facts"]["regime"] == case["regime"] == "buergergeld_2023"
    shown = await http.get(first.headers["location"])
    assert shown.status_code == 200 and "Eingeladen" in shown.text and "Zum Meldetermin eingeladen." in shown.text
    fresh = _form((await http.get(f"/personen/{person_id}")).text)["schluessel"]
    assert fresh != form["schluessel"]  # each rendered form its own key: a new invitation is a new case


@pytest.mark.parametrize(
    ("termin", "ort", "messages"),
    [
        (-1, ORT, {"termin": "Der Zeitpunkt muss in der Zukunft liegen."}),
        (2, "", {"ort": "Bitte ausfüllen."}),
        (-0.01, "   ", {"termin": "Der Zeitpunkt muss in der Zukunft liegen.", "ort": "Bitte ausfüllen."}),
        (None, ORT, {"termin": "Bitte ausfüllen."}),
        ("morgen früh", ORT, {"termin": "Bitte Datum und Uhrzeit angeben."}),
        (2, "Raum 1\nFrau Muster", {"ort": "Das Format stimmt nicht."}),  # one line, no prose
    ],
)
async def test_r64_bad_input_comes_back_in_german_at_its_fields_and_opens_nothing(http, termin, ort, messages):
    """R64: an invitation is to an appointment still ahead, at a place; otherwise the form comes
    back (422) with the German message at each field, the values kept, and no case is opened."""
    person_id = await _person(http)
    await sign_in(http, "tok-ifk")
    form = _form((await http.get(f"/personen/{person_id}")).text)
    value = "" if termin is None else termin if isinstance(termin, str) else _local(termin)
    r = await http.post(f"/personen/{person_id}/meldetermin", data={**form, "termin": value, "ort": ort})
    assert r.status_code == 422, r.text
    assert "Bitte die markierten Angaben prüfen. Es wurde nichts angelegt." in r.text
    for name, message in messages.items():
        assert f'<span class="feldfehler" id="e-{name}">{message}</span>' in r.text, (name, r.text)
        assert re.search(rf'id="f-{name}"[^>]*aria-invalid="true"', r.text, re.S), name
    assert f'value="{form["schluessel"]}"' in r.text  # the same key: a corrected resend still opens one case
    assert len(await _meldetermine(http, person_id)) == 1


async def test_roles_that_may_not_invite_see_no_form_and_a_crafted_post_is_refused(http):
    """The jobcoach reads the person's meldetermin (it records attendance) but may not open one:
    no form on the Fallakte, and a post made by hand gets the use case's refusal page."""
    person_id = await _person(http)
    await sign_in(http, "tok-jobcoach")
    page = await http.get(f"/personen/{person_id}")
    assert page.status_code == 200 and "Zum Meldetermin einladen" not in page.text
    assert 'name="schluessel"' not in page.text
    form = {"csrf": csrf_of(page.text), "schluessel": "selbst-gebaut", "termin": _local(3), "ort": ORT}
    r = await http.post(f"/personen/{person_id}/meldetermin", data=form)
    assert r.status_code == 403 and "Rolle nicht berechtigt" in r.text and "ifk" in r.text, r.text
    r = await http.post(f"/personen/{person_id}/meldetermin", data={**form, "termin": "kaputt", "ort": ""})
    assert r.status_code == 403 and "Rolle nicht berechtigt" in r.text  # the refusal, not the form
    assert len(await _meldetermine(http, person_id)) == 1


async def test_the_invitation_needs_the_sessions_csrf_token_and_a_person_the_user_may_see(http):
    person_id = await _person(http)
    await sign_in(http, "tok-ifk")
    form = {"schluessel": "k1", "termin": _local(3), "ort": ORT}
    r = await http.post(f"/personen/{person_id}/meldetermin", data={**form, "csrf": "falsch"})
    assert r.status_code == 403 and "Formular abgelaufen" in r.text
    csrf = csrf_of((await http.get(f"/personen/{person_id}")).text)
    for other in ("00000000-0000-4000-8000-000000000000", "kein-uuid"):
        r = await http.post(f"/personen/{other}/meldetermin", data={**form, "csrf": csrf})
        assert r.status_code == 404 and "Nicht gefunden" in r.text, (other, r.text)
    assert len(await _meldetermine(http, person_id)) == 1
