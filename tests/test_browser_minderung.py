"""Meldetermin and Leistungsminderung through the workbench in a real chromium (issue 18): a
meldetermin is worked through the case page's generic trigger forms: not attended, no good reason
(the system fields get no input), the hearing answered, Leistung's decision with the hardship check
(one invalid input first), then the Fallakte shows the decided Minderung; and the IFK invites to a
meldetermin from the Fallakte (a past appointment first, refused at its field) and lands on the new
case in `eingeladen`. axe on every page type. Its own module: a minderung that outlives its meldetermin
ends here, and the time-skipping server of a module skips no time after that (tests/minderung_support.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, expect

from tests.api_fixtures import PERSON
from tests.browser_support import assert_accessible
from tests.minderung_support import ORT
from tests.test_browser_pages import sign_in

pytestmark = pytest.mark.browser


async def _step(page: Page, label: str) -> None:
    """Open a step's form from the case page and check it."""
    await page.get_by_role("link", name=label, exact=True).click()
    await expect(page.get_by_role("heading", name=label)).to_be_visible()
    await assert_accessible(page)


async def _switch(page: Page, live_app, role: str, target: str) -> None:
    await page.get_by_role("button", name="Abmelden").click()
    await sign_in(page, live_app, role, target)


async def test_a_missed_meldetermin_goes_through_hearing_and_decision_on_the_case_pages(page, live_app, env):
    """R64, R65, R67: the meldetermin and minderung triggers work through the generic forms; only
    Leistung is offered the decision, and its form asks for the hardship check."""
    termin = ((await env.get_current_time()).astimezone(UTC) + timedelta(days=1)).replace(microsecond=0)
    async with live_app.api("ifk") as api:
        body = {"process": "meldetermin", "person": PERSON, "facts": {"termin": termin.isoformat(), "ort": ORT}}
        r = await api.post("/cases", json=body)
        assert r.status_code == 201, r.text
        case = r.json()
    case_id, person_id = case["case_id"], case["person"]["person_id"]

    await sign_in(page, live_app, "ifk", f"/faelle/{case_id}")
    await expect(page.get_by_role("heading", name="Zustand: Eingeladen")).to_be_visible()
    await assert_accessible(page)
    await _step(page, "Nicht erschienen")
    await page.get_by_role("button", name="Nicht erschienen").click()
    await expect(page.get_by_role("heading", name="Zustand: Termin versäumt")).to_be_visible()
    await _step(page, "Kein wichtiger Grund")
    # the count of misses, the Schlichtung check and the Anlass are the system's: no inputs for them
    for field in ("versaeumnisse_in_folge", "schlichtung_laeuft", "minderung_anlass", "geprueft"):
        await expect(page.locator(f'[name="{field}"]')).to_have_count(0)
    await page.get_by_role("button", name="Kein wichtiger Grund").click()
    await expect(page.get_by_role("heading", name="Zustand: Minderung eingeleitet")).to_be_visible()

    async with live_app.api("ifk") as api:
        minderung_id = (await api.get(f"/cases/{case_id}")).json()["links"]["minderung"]
    await page.goto(f"/faelle/{minderung_id}")
    await expect(page.get_by_role("heading", name="Zustand: Anhörung")).to_be_visible()
    await expect(page.get_by_role("link", name="Minderung festgestellt")).to_have_count(0)  # R67: not the IFK's
    await assert_accessible(page)
    await _step(page, "Stellungnahme eingegangen")
    await page.get_by_role("button", name="Stellungnahme eingegangen").click()
    await expect(page.get_by_role("heading", name="Zustand: Entscheidung offen")).to_be_visible()

    await _switch(page, live_app, "leistung", f"/faelle/{minderung_id}")
    await expect(page.get_by_role("heading", name="Zustand: Entscheidung offen")).to_be_visible()
    await _step(page, "Minderung festgestellt")
    await page.get_by_label("Prozent", exact=False).fill("10")
    await page.get_by_label("Monate", exact=False).fill("1")
    await page.get_by_label("Beginn", exact=False).fill("2027-01-01")
    await page.get_by_label("Härte geprüft am", exact=False).fill("2026-12-20")
    await page.get_by_role("button", name="Minderung festgestellt").click()  # the hardship check left out
    haerte = page.get_by_label("Ergebnis der Härteprüfung", exact=False)
    await expect(haerte).to_have_attribute("aria-invalid", "true")
    await assert_accessible(page)
    await haerte.select_option(label="Keine außergewöhnliche Härte")
    await page.get_by_role("button", name="Minderung festgestellt").click()
    await expect(page.get_by_role("heading", name="Zustand: Minderung festgestellt")).to_be_visible()
    await expect(page.locator("details.brief summary").last).to_contain_text("Bescheid")

    await page.goto(f"/personen/{person_id}")
    section = page.locator("section", has=page.locator("#minderungen"))
    await expect(section).to_contain_text("Meldeversäumnis")
    await expect(section).to_contain_text("10 % für 1 Monat(e) ab 01.01.2027")
    await expect(section).to_contain_text("Keine außergewöhnliche Härte")
    await expect(section).to_contain_text(re.compile(r"Entscheidung spätestens \(§ 31b\)\s*\d\d\.\d\d\.\d{4}"))
    await assert_accessible(page)


async def test_the_ifk_invites_to_a_meldetermin_from_the_fallakte(page, live_app, env):
    """R64: the Fallakte's form opens a meldetermin through the same use case as the API: a past
    appointment comes back in German at its field with nothing opened, then the new case page shows
    `eingeladen` with the invitation letter."""
    berlin = ZoneInfo("Europe/Berlin")
    now = max(datetime.now(UTC), await env.get_current_time())
    async with live_app.api("ifk") as api:
        termin = (now + timedelta(days=5)).replace(microsecond=0)
        body = {"process": "meldetermin", "person": PERSON, "facts": {"termin": termin.isoformat(), "ort": ORT}}
        r = await api.post("/cases", json=body)
        assert r.status_code == 201, r.text
        person_id = r.json()["person"]["person_id"]

    await sign_in(page, live_app, "ifk", f"/personen/{person_id}")
    await expect(page.get_by_role("heading", name="Zum Meldetermin einladen")).to_be_visible()
    await expect(page.locator('[name="regime"]')).to_have_count(0)  # the system's (R61)
    await assert_accessible(page)
    form = page.get_by_role("region", name="Zum Meldetermin einladen")
    termin_input, ort_input = form.get_by_label("Termin", exact=False), form.get_by_label("Ort", exact=False)
    await termin_input.fill((now - timedelta(days=1)).astimezone(berlin).strftime("%Y-%m-%dT%H:%M"))
    await ort_input.fill(ORT)
    await page.get_by_role("button", name="Zum Meldetermin einladen").click()
    await expect(termin_input).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#e-termin")).to_have_text("Der Zeitpunkt muss in der Zukunft liegen.")
    await expect(ort_input).to_have_value(ORT)  # kept
    await assert_accessible(page)
    async with live_app.api("ifk") as api:
        faelle = (await api.get(f"/people/{person_id}")).json()["faelle"]
    assert len(faelle) == 1  # nothing opened

    await termin_input.fill((now + timedelta(days=2)).astimezone(berlin).strftime("%Y-%m-%dT09:30"))
    await page.get_by_role("button", name="Zum Meldetermin einladen").click()
    await expect(page.get_by_role("heading", name="Zustand: Eingeladen")).to_be_visible()
    await expect(page).to_have_url(re.compile(r"/faelle/[0-9a-f-]{36}"))
    await expect(page.get_by_role("status")).to_contain_text("Zum Meldetermin eingeladen.")
    await expect(page.locator("details.brief summary")).to_contain_text("Einladung")
    await assert_accessible(page)
    async with live_app.api("ifk") as api:
        faelle = (await api.get(f"/people/{person_id}")).json()["faelle"]
    assert [f["state"]["name"] for f in faelle] == ["eingeladen", "eingeladen"]
