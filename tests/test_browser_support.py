"""The browser test helpers can fail: the origin guard catches a request to another host, the
axe check catches a serious violation, and both work without any network."""

from __future__ import annotations

import pytest

from tests.browser_support import DESKTOP, OriginGuard, _new_page, assert_accessible, axe_violations, blocking

pytestmark = pytest.mark.browser

ORIGIN = "http://127.0.0.1:9"  # nothing listens there: the pages below are set in place


async def test_abort_and_record_requests_outside_the_origin(browser):
    context, page, guard = await _new_page(browser, ORIGIN, DESKTOP)
    try:
        await page.set_content(
            '<html lang="de"><head><title>t</title><link rel="stylesheet" href="https://cdn.example.org/x.css">'
            '</head><body><img alt="" src="https://fonts.example.org/a.png"><img alt="" src="data:,"></body></html>'
        )
        await page.wait_for_load_state("load")
    finally:
        await context.close()
    assert sorted(guard.outside) == ["https://cdn.example.org/x.css", "https://fonts.example.org/a.png"]


def test_allow_the_app_origin_and_local_schemes_only():
    guard = OriginGuard("http://127.0.0.1:8123")
    assert guard.allows("http://127.0.0.1:8123/docs/static/a.js")
    assert guard.allows("data:image/png;base64,AAAA") and guard.allows("blob:http://127.0.0.1:8123/x")
    assert not guard.allows("http://127.0.0.1:8124/docs")  # another port is another origin
    assert not guard.allows("https://127.0.0.1:8123/docs")
    assert not guard.allows("http://localhost:8123/docs")


async def test_fail_on_a_serious_accessibility_violation(browser):
    context, page, _ = await _new_page(browser, ORIGIN, DESKTOP)
    try:
        await page.set_content(
            '<html><head><title>t</title></head><body><main><h1>Fall</h1><img src="data:,">'
            "<form><input type=text></form></main></body></html>"
        )
        violations = await axe_violations(page)
        with pytest.raises(AssertionError, match="image-alt"):
            await assert_accessible(page)
    finally:
        await context.close()
    assert {"image-alt", "label", "html-has-lang"} <= {v["id"] for v in blocking(violations)}


async def test_pass_an_accessible_page(browser):
    context, page, _ = await _new_page(browser, ORIGIN, DESKTOP)
    try:
        await page.set_content(
            '<html lang="de"><head><title>Fall</title></head><body><main><h1>Fall</h1>'
            '<form><label for="t">Termin</label><input id="t" type="date"></form></main></body></html>'
        )
        assert blocking(await assert_accessible(page)) == []
    finally:
        await context.close()
