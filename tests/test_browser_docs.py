"""/docs and /redoc in a real chromium with the network cut to the app (issue 15 item 8):
the operations render, nothing outside the app is requested, axe finds nothing serious."""

from __future__ import annotations

import json

import pytest

from tests.browser_support import assert_accessible, describe, screenshot

pytestmark = pytest.mark.browser


async def test_render_swagger_ui_with_the_network_cut_to_the_app(page, live_app):
    await page.goto("/docs")
    operations = page.locator(".opblock")
    await operations.first.wait_for(state="visible", timeout=20_000)
    schema = json.loads(await page.evaluate("fetch('/api/v1/openapi.json').then(r => r.text())"))
    expected = sum(1 for item in schema["paths"].values() for method in item if method != "parameters")
    assert await operations.count() == expected
    assert await page.locator(".opblock-summary-path", has_text="/api/v1/cases/{case_id}/transitions").count() == 1
    await page.locator(".opblock-summary", has_text="/api/v1/healthz").first.click()
    await page.locator(".opblock-body").first.wait_for(state="visible")
    findings = await assert_accessible(page)
    print(f"\naxe /docs: {len(findings)} finding(s) below serious\n{describe(findings)}")
    await screenshot(page, "api-docs", full_page=False)


async def test_render_redoc_with_the_network_cut_to_the_app(page, live_app):
    await page.goto("/redoc")
    await page.get_by_role("heading", name="Fahrplan", exact=False).first.wait_for(timeout=20_000)
    await page.locator("[data-section-id]").first.wait_for(state="attached", timeout=20_000)
    assert await page.locator("[data-section-id^='tag/']").count() >= 3
    findings = await assert_accessible(page)
    print(f"\naxe /redoc: {len(findings)} finding(s) below serious\n{describe(findings)}")


async def test_render_docs_on_a_phone(phone_page, live_app):
    await phone_page.goto("/docs")
    await phone_page.locator(".opblock").first.wait_for(state="visible", timeout=20_000)
    width = await phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the page scrolls sideways: {width} px"
