"""The workbench in a real chromium (issue 16): sign in, the inbox, a case, a trigger's form
(one invalid input first), the team lead's information events, the training pages; axe on
every page type, nothing requested outside the app (the `page` fixture's origin guard)."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

import pytest
from playwright.async_api import Page, expect

from persistence import gruppencoaching as gc
from statemachines import PROCESSES
from tests.api_fixtures import PERSON
from tests.browser_support import PHONE, assert_accessible, screenshot
from tests.kooperationsplan_support import PLAN
from tests.rkw_support import event_begun

pytestmark = pytest.mark.browser


async def seed_case(live_app) -> str:
    """A Neuantrag handed to the clearing: the Jobcoach has a task for it."""
    async with live_app.api("egs") as api:
        body = {"process": "neuantrag", "person": PERSON, "facts": {"antragsweg": "persoenlich"}}
        r = await api.post("/cases", json=body)
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        body = {"trigger": "an_clearing_uebergeben", "data": {"uebergabe": "warm"}}
        r = await api.post(f"/cases/{case_id}/transitions", json=body)
        assert r.status_code == 200, r.text
    return case_id


async def sign_in(page: Page, live_app, role: str, target: str | None = "/") -> None:
    """Open `target` (None: stay on the sign-in page shown) and sign in as `role`."""
    if target is not None:
        await page.goto(target)
    await expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    await page.get_by_label("Zugangstoken").fill(live_app.token(role))
    await page.get_by_role("button", name="Anmelden").click()


def current_state(page: Page):
    """The node of the diagram that carries the 'aktueller Stand' mark."""
    return page.locator("figure.diagramm svg g.node", has_text="aktueller Stand", has_not_text="Legende")


async def test_sign_in_inbox_case_and_a_trigger_through_its_form(page, live_app):
    case_id = await seed_case(live_app)
    await page.goto(f"/faelle/{case_id}")  # not signed in: to the sign-in page, then back
    await expect(page).to_have_url(re.compile(r"/anmelden\?weiter="))
    await assert_accessible(page)
    await page.get_by_label("Zugangstoken").fill("falsch")
    await page.get_by_role("button", name="Anmelden").click()
    await expect(page.get_by_role("alert")).to_contain_text("ungültig")
    await sign_in(page, live_app, "jobcoach", None)
    await expect(page.get_by_role("heading", name="Fall Neuantrag", exact=False)).to_be_visible()

    await page.goto("/")
    await expect(page.get_by_role("heading", name="Posteingang")).to_be_visible()
    task = page.locator("li.aufgabe").filter(has=page.locator(f'a[href="/faelle/{case_id}"]'))
    await expect(task).to_have_count(1)
    await expect(task).to_contain_text("Fällig")
    await assert_accessible(page)
    await screenshot(page, "posteingang")
    await task.get_by_role("button", name=re.compile("^Übernehmen")).click()
    await expect(page.get_by_role("status")).to_contain_text("übernommen")
    await expect(task).to_contain_text("jobcoach-1")
    await task.get_by_role("link", name=re.compile("Fall öffnen")).click()

    await expect(page.get_by_role("heading", name="Zustand: Clearing offen")).to_be_visible()
    await expect(current_state(page)).to_contain_text("Clearing offen")
    await assert_accessible(page)
    await page.get_by_role("link", name="Clearingtermin vereinbart").click()
    await expect(page.get_by_role("heading", name="Clearingtermin vereinbart")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("button", name="Clearingtermin vereinbart").click()  # the date left out
    termin = page.get_by_label("Termin")
    await expect(termin).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#e-termin")).to_have_text("Bitte ausfüllen.")
    await assert_accessible(page)
    await termin.fill("2030-03-04T09:30")
    await page.get_by_label("Kommentar", exact=False).fill("Termin telefonisch abgestimmt")
    await page.get_by_role("button", name="Clearingtermin vereinbart").click()

    await expect(page.get_by_role("heading", name="Zustand: Clearing terminiert")).to_be_visible()
    await expect(page.get_by_role("status")).to_contain_text("erledigt")
    await expect(current_state(page)).to_contain_text("Clearing terminiert")
    await expect(page.locator("details.brief summary").first).to_contain_text("Einladung")
    await expect(page.locator("table.verlauf tbody tr").last).to_contain_text("Termin telefonisch abgestimmt")
    bausteine = await page.get_by_label("Textbaustein").locator("option").all_inner_texts()
    await page.get_by_label("Textbaustein").select_option(label=bausteine[1])  # document the conversation (R15)
    await page.get_by_role("textbox", name="Vermerk (Pflichtfeld)").fill("Bewerbungsunterlagen besprochen.")
    await page.get_by_role("button", name="Vermerk speichern").click()
    await expect(page.get_by_role("status")).to_contain_text("Vermerk gespeichert")
    await expect(page.locator("section", has=page.locator("#vermerke"))).to_contain_text(
        "Bewerbungsunterlagen besprochen."
    )
    await expect(page.get_by_role("heading", name="Zustand: Clearing terminiert")).to_be_visible()  # state unchanged
    await screenshot(page, "fallseite", full_page=False)


async def test_a_refused_step_is_shown_inline_and_other_roles_see_no_buttons(page, live_app):
    case_id = await seed_case(live_app)
    await sign_in(page, live_app, "leistung", f"/faelle/{case_id}")
    await expect(page.get_by_role("heading", name="Zustand: Clearing offen")).to_be_visible()
    await expect(page.get_by_role("link", name="Clearingtermin vereinbart")).to_have_count(0)
    await page.goto(f"/faelle/{case_id}/schritt/clearingtermin_vereinbart")  # not theirs: refused in German
    await expect(page.get_by_role("alert")).to_contain_text("nicht auslösen")
    await page.goto("/faelle/gibt-es-nicht")
    await expect(page.get_by_role("heading", name="Nicht gefunden")).to_be_visible()


async def test_a_step_refused_by_the_use_case_is_shown_in_its_form(page, live_app):
    """The form was opened, then someone else closed the case: the refusal appears inline, the
    input stays."""
    case_id = await seed_case(live_app)
    await sign_in(page, live_app, "jobcoach", f"/faelle/{case_id}/schritt/clearingtermin_vereinbart")
    await page.get_by_label("Termin").fill("2030-03-04T09:30")
    async with live_app.api("egs") as api:
        r = await api.post(f"/cases/{case_id}/transitions", json={"trigger": "antrag_zurueckgenommen"})
        assert r.status_code == 200, r.text
    await page.get_by_role("button", name="Clearingtermin vereinbart").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("Der Fall ist abgeschlossen")
    await expect(page.get_by_label("Termin")).to_have_value("2030-03-04T09:30")
    await assert_accessible(page)


async def test_keyboard_users_skip_to_the_content_first(page, live_app):
    await page.goto("/schulung")
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Zum Inhalt springen")
    await expect(skip).to_be_focused()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")  # the first link of the content, not the navigation again
    await expect(page.get_by_role("link", name="Neuantrag")).to_be_focused()


async def test_sign_out_ends_the_session(page, live_app):
    await sign_in(page, live_app, "egs")
    await expect(page.get_by_role("heading", name="Posteingang")).to_be_visible()
    cookie = next(c for c in await page.context.cookies() if c["name"] == "fahrplan_sitzung")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    await page.get_by_role("button", name="Abmelden").click()
    await expect(page.get_by_role("status").or_(page.get_by_role("alert"))).to_contain_text("abgemeldet")
    await page.context.add_cookies([cookie])  # the old cookie, replayed: the session has ended
    await page.goto("/")
    await expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()


async def test_the_core_path_without_javascript(browser, live_app):
    case_id = await seed_case(live_app)
    context = await browser.new_context(base_url=live_app.base_url, java_script_enabled=False, locale="de-DE")
    try:
        page = await context.new_page()
        await sign_in(page, live_app, "jobcoach", f"/faelle/{case_id}")
        await page.get_by_role("link", name="Clearingtermin vereinbart").click()
        await page.get_by_label("Termin").fill("2030-03-04T09:30")
        await page.get_by_role("button", name="Clearingtermin vereinbart").click()
        await expect(page.get_by_role("heading", name="Zustand: Clearing terminiert")).to_be_visible()
    finally:
        await context.close()


async def test_inbox_and_case_on_a_phone(phone_page, live_app):
    case_id = await seed_case(live_app)
    await sign_in(phone_page, live_app, "jobcoach")
    for path in ("/", f"/faelle/{case_id}", "/schulung/neuantrag"):
        await phone_page.goto(path)
        await expect(phone_page.locator("h1")).to_be_visible()
        width = await phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"{path} scrolls sideways: {width} px"
        await assert_accessible(phone_page)


async def test_a_team_lead_cancels_an_information_event(page, live_app, env):
    """R31: the booked case is invited to the next event and gets a letter; R32: its attendance
    is recorded once that event has begun, not before."""
    alg1_ende = (date.today() + timedelta(days=60)).isoformat()
    async with live_app.api("teamleitung") as api:
        body = {
            "process": "rechtskreiswechsel",
            "person": PERSON,
            "facts": {"alg1_ende": alg1_ende, "standort": "Gevelsberg"},
        }
        r = await api.post("/cases", json=body)
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        for _ in range(100):  # invited at once (ALG I ends within the invitation window): a place is booked
            r = await api.get(f"/cases/{case_id}")
            if r.json()["facts"].get("veranstaltung_id"):
                break
            await asyncio.sleep(0.1)
        event = r.json()["facts"]["veranstaltung_id"]
    await sign_in(page, live_app, "teamleitung")
    await page.get_by_role("link", name="Infoveranstaltungen").click()
    await expect(page.get_by_role("heading", name="Infoveranstaltungen")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("link", name=f"Veranstaltung {event} öffnen").click()
    await expect(page.get_by_role("heading", name=f"Infoveranstaltung {event}")).to_be_visible()
    booking = page.locator("tbody tr", has=page.locator(f'a[href="/faelle/{case_id}"]'))
    await expect(booking).to_contain_text("gebucht")
    await assert_accessible(page)
    await page.get_by_role("button", name="Veranstaltung absagen").click()
    await expect(page.get_by_role("status")).to_contain_text("abgesagt; 1 von 1 Buchungen umgebucht")
    await expect(page.locator("dd", has_text="abgesagt")).to_have_count(1)
    await booking.get_by_role("link").click()
    await expect(page.get_by_role("heading", name="Zustand: Zur Infoveranstaltung eingeladen")).to_be_visible()
    await expect(page.locator("table.verlauf tbody tr").last).to_contain_text("abgesagt")
    async with live_app.api("teamleitung") as api:
        moved = (await api.get(f"/cases/{case_id}")).json()["facts"]
    assert moved["veranstaltung_id"] != event
    await page.goto(f"/team/infoveranstaltungen/{moved['veranstaltung_id']}")
    rebooked = page.locator("tbody tr", has=page.locator(f'a[href="/faelle/{case_id}"]'))
    await rebooked.get_by_role("button", name=re.compile("^Erschienen")).click()
    await expect(page.get_by_role("alert")).to_contain_text("Die Infoveranstaltung hat begonnen (R32)")
    await event_begun(env, moved)
    await page.goto(f"/team/infoveranstaltungen/{moved['veranstaltung_id']}")
    await rebooked.get_by_role("button", name=re.compile("^Erschienen")).click()  # R32: attendance
    await expect(page.get_by_role("status")).to_contain_text("Teilnahme erfasst")
    await expect(rebooked).to_contain_text("teilgenommen")


async def test_the_training_page_of_every_process_without_sign_in(page, live_app):
    await page.goto("/schulung")
    await assert_accessible(page)
    for name, process in PROCESSES.items():
        await page.goto(f"/schulung/{name}")
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"Schulung: {process.label}")
        assert await page.locator("figure.diagramm svg").count() == 1
        assert await page.locator("article.zustand").count() == len(process.states)
        assert await page.locator("article.schritt").count() == len(process.triggers)
        await assert_accessible(page)
        if name == "neuantrag":
            await screenshot(page, "schulung", full_page=False)


async def test_only_neutral_persons_are_offered_as_schlichtungsperson(page, live_app):
    """R52: the IFK worked on the plan case, so the form offers everyone known but them."""
    async with live_app.api("ifk") as api:
        r = await api.post("/cases", json={"process": "kooperationsplan", "person": PERSON, "facts": {}})
        assert r.status_code == 201, r.text
        plan = r.json()["case_id"]
        r = await api.post(f"/cases/{plan}/transitions", json={"trigger": "potenzialanalyse_abgeschlossen"})
        assert r.status_code == 200, r.text
        body = {"trigger": "schlichtung_beantragt", "data": {"initiiert_von": "elb"}}
        r = await api.post(f"/cases/{plan}/transitions", json=body)
        assert r.status_code == 200, r.text
        child = r.json()["links"]["schlichtung"]
    for role in ("jobcoach", "schlichtungsstelle"):  # known staff (the directory learns them at sign-in)
        async with live_app.api(role) as api:
            assert (await api.get("/me")).status_code == 200
            for _ in range(100):  # the child case's first row is written by its workflow
                if role != "schlichtungsstelle" or (await api.get(f"/cases/{child}")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
    await sign_in(page, live_app, "schlichtungsstelle", f"/faelle/{child}")
    await expect(page.get_by_role("heading", name="Zustand: Schlichtung beantragt")).to_be_visible()
    await page.get_by_role("link", name="Schlichtungsperson bestellt").click()
    choice = page.get_by_label("Schlichtungsperson")
    offered = await choice.locator("option").all_inner_texts()
    assert "jobcoach-1" in offered and "ifk-1" not in offered, offered
    assert await page.get_by_label("Unbefangen").count() == 0  # the system checks it (R52)
    await assert_accessible(page)
    await choice.select_option("jobcoach-1")
    await page.get_by_role("button", name="Schlichtungsperson bestellt").click()
    await expect(page.get_by_role("heading", name="Zustand: Schlichtungsperson bestellt")).to_be_visible()


async def test_a_team_lead_plans_group_sessions_and_decides_on_one(page, live_app):
    await sign_in(page, live_app, "teamleitung")
    await page.get_by_role("link", name="Gruppensitzungen").click()
    await page.get_by_label("Wochen").fill("2")
    await page.get_by_role("button", name="Sitzungen planen").click()
    await expect(page.get_by_role("status")).to_contain_text("Sitzungen geplant")
    await assert_accessible(page)
    await page.get_by_role("link", name=re.compile("Sitzung \\d+ öffnen")).first.click()
    sitzung_id = int(page.url.rsplit("/", 1)[1])
    await assert_accessible(page)
    async with live_app.db.unit_of_work() as session:  # its R21 check found too few bookings (as it may have)
        (await session.get(gc.Sitzung, sitzung_id)).status = gc.ENTSCHEIDUNG_OFFEN
    await page.get_by_role("radio", name="Verkürzen").check()
    await page.get_by_role("button", name="Entscheidung erfassen").click()  # without the new duration
    await expect(page.get_by_role("alert")).to_contain_text("Dauer nur beim Verkürzen")
    await page.get_by_role("radio", name="Verkürzen").check()
    await page.get_by_label("Neue Dauer in Minuten").fill("60")
    await page.get_by_role("button", name="Entscheidung erfassen").click()
    await expect(page.get_by_role("status")).to_contain_text("Entscheidung erfasst")
    await expect(page.locator("dd", has_text="Entscheidung: Verkürzen")).to_have_count(1)
    await page.get_by_role("radio", name="Durchführen").check()
    await page.get_by_role("button", name="Entscheidung erfassen").click()  # decided already: refused inline
    await expect(page.get_by_role("alert")).to_contain_text("keine Entscheidung an")


async def test_a_plan_case_shows_its_versions_and_opens_the_pdf(page, live_app):
    async with live_app.api("ifk") as api:
        r = await api.post("/cases", json={"process": "kooperationsplan", "person": PERSON, "facts": {}})
        case_id = r.json()["case_id"]
        for body in ({"trigger": "potenzialanalyse_abgeschlossen"}, {"trigger": "plan_vereinbart", "data": PLAN}):
            r = await api.post(f"/cases/{case_id}/transitions", json=body)
            assert r.status_code == 200, r.text
    await sign_in(page, live_app, "ifk", f"/faelle/{case_id}")
    versions = page.get_by_role("table", name="Versionen")
    await expect(versions.locator("tbody tr")).to_have_count(1)
    await assert_accessible(page)
    href = await page.get_by_role("link", name="PDF Version 1").get_attribute("href")
    pdf = await page.request.get(href)  # with the session cookie, like a click
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and (await pdf.body()).startswith(b"%PDF")


async def test_search_a_person_and_open_the_fallakte(page, live_app):
    case_id = await seed_case(live_app)
    await sign_in(page, live_app, "jobcoach")
    await page.get_by_role("link", name="Personen").click()
    await expect(page.get_by_role("heading", name="Personen suchen")).to_be_visible()
    await page.get_by_label("Name, Geburtsdatum", exact=False).fill("Mustermann")
    await page.get_by_role("button", name="Suchen").click()
    await expect(page.get_by_role("heading", name=re.compile("Treffer"))).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("link", name="Mustermann, Erika").first.click()
    await expect(page.get_by_role("heading", name="Fallakte Erika Mustermann")).to_be_visible()
    await expect(page.locator(f'a[href="/faelle/{case_id}"]')).to_have_count(1)
    await assert_accessible(page)
    await page.goto("/personen?q=Niemand-Bekanntes")
    await expect(page.get_by_text("Keine Person gefunden")).to_be_visible()


async def test_the_egs_opens_a_neuantrag_for_a_new_person(page, live_app):
    """api/pages/new_case.py in the browser: choose the process, one invalid input first (shown at
    its field), then the case page of the new case; axe on the choice and the form."""
    await sign_in(page, live_app, "egs")
    await page.get_by_role("link", name="Neuer Fall").click()
    await expect(page.get_by_role("heading", name="Neuen Fall anlegen")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("link", name="Neuantrag").click()
    await expect(page.get_by_role("heading", name="Neuantrag anlegen")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_label("Vorname").fill("Emine")
    await page.get_by_label("Nachname").fill("Yılmaz")
    await page.get_by_label("Postleitzahl").fill("5828")
    await page.get_by_label("Antragsweg", exact=False).select_option("persoenlich")
    await page.get_by_role("button", name="Neuantrag anlegen").click()
    await expect(page.locator("#e-plz")).to_have_text("Das Format stimmt nicht.")
    await assert_accessible(page)
    await page.get_by_label("Postleitzahl").fill("58285")
    await page.get_by_label("Straße und Hausnummer").fill("Mittelstraße 3")
    await page.get_by_label("Ort", exact=True).fill("Gevelsberg")
    await page.get_by_role("button", name="Neuantrag anlegen").click()
    await expect(page).to_have_url(re.compile(r"/faelle/[0-9a-f-]{36}"))
    await expect(page.get_by_text("Neuantrag: Fall angelegt.")).to_be_visible()
    await expect(page.get_by_text("Emine Yılmaz", exact=False).first).to_be_visible()
