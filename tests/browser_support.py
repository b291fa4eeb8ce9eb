"""Browser tests: the app served live, Debian's chromium driven by Playwright, axe, an origin guard.

Fixtures (registered in tests/conftest.py):
- `live_app`: uvicorn on a free loopback port serving the real app, wired like the fuzz
  harness to the time-skipping Temporal test server, a real worker and SQLite; one token
  per role (`live_app.token(role)`, `live_app.api(role)` for seeding through the JSON API).
- `browser`: one headless chromium per session (/usr/bin/chromium through `executable_path`,
  never a downloaded browser).
- `page`: a fresh context and page (German locale, Berlin time, 1280 × 800) whose requests
  outside the app's origin are aborted and recorded: a test that caused any fails.
- `phone_page`: the same at 390 × 844 (a phone).
Helpers: `assert_accessible(page)` runs axe-core (shipped inside axe-playwright-python) and
fails on serious or critical violations; `screenshot(page, name)` saves a PNG for the README
when FAHRPLAN_SCREENSHOTS names a folder (`make screenshots`), and does nothing otherwise.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, Request, Route, async_playwright

from api.app import create_app
from runtime.settings import Settings
from tests.api_fixtures import TOKENS

CHROMIUM = os.environ.get("FAHRPLAN_CHROMIUM", "/usr/bin/chromium")
# As root in a container without network: no sandbox, no GPU, and none of chromium's own calls
# home (they fail on the closed network, many at a time). Playwright gives every launch a fresh
# temporary profile (user-data-dir) of its own.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
BLOCKING = ("serious", "critical")
_LOCAL_SCHEMES = ("data:", "blob:", "about:")


@dataclass
class LiveApp:
    base_url: str  # e.g. http://127.0.0.1:38211
    settings: Settings
    app: object
    db: object
    client: object

    def token(self, role: str) -> str:
        return next(token for token, user in TOKENS.items() if user.roles == [role])

    def api(self, role: str) -> httpx.AsyncClient:
        """An httpx client for the JSON API as `role` (close it, e.g. `async with`)."""
        headers = {"Authorization": f"Bearer {self.token(role)}"}
        return httpx.AsyncClient(base_url=f"{self.base_url}/api/v1", headers=headers, timeout=30)


@pytest.fixture
async def live_app(client, sqlite_db, worker, tmp_path) -> AsyncIterator[LiveApp]:
    settings = Settings(task_queue=worker.task_queue, api_tokens=TOKENS, data_dir=tmp_path, update_timeout_seconds=20)
    app = create_app(settings, client=client, db=sqlite_db)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # a free port: other engineers' tests run beside these
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    serve = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if serve.done():
                serve.result()  # raises what stopped the server
            await asyncio.sleep(0.02)
        yield LiveApp(f"http://127.0.0.1:{sock.getsockname()[1]}", settings, app, sqlite_db, client)
    finally:
        server.should_exit = True
        await serve
        sock.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        raise RuntimeError(f"{CHROMIUM} not found: `make setup` installs Debian's chromium (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield launched
        await launched.close()


@dataclass
class OriginGuard:
    """Aborts and records every request that leaves the app's origin."""

    origin: str
    outside: list[str] = field(default_factory=list)

    def allows(self, url: str) -> bool:
        if url.startswith(_LOCAL_SCHEMES):
            return True
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" == self.origin

    async def attach(self, context: BrowserContext) -> None:
        async def route(r: Route, request: Request) -> None:
            if self.allows(request.url):
                await r.continue_()
            else:
                self.outside.append(request.url)
                await r.abort("blockedbyclient")

        await context.route("**/*", route)


async def _new_page(browser: Browser, origin: str, viewport: dict) -> tuple[BrowserContext, Page, OriginGuard]:
    context = await browser.new_context(
        base_url=origin, viewport=viewport, locale="de-DE", timezone_id="Europe/Berlin", service_workers="block"
    )
    guard = OriginGuard(origin)
    await guard.attach(context)
    return context, await context.new_page(), guard


@pytest.fixture
async def page(browser: Browser, live_app: LiveApp) -> AsyncIterator[Page]:
    context, new, guard = await _new_page(browser, live_app.base_url, DESKTOP)
    yield new
    await context.close()
    assert not guard.outside, f"the page requested outside the app: {guard.outside}"


@pytest.fixture
async def phone_page(browser: Browser, live_app: LiveApp) -> AsyncIterator[Page]:
    context, new, guard = await _new_page(browser, live_app.base_url, PHONE)
    yield new
    await context.close()
    assert not guard.outside, f"the page requested outside the app: {guard.outside}"


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v.get("impact") in BLOCKING]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = ", ".join(
            " ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"]) for n in v["nodes"][:5]
        )
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])}×): {v['help']} – {targets}")
    return "\n".join(lines)


async def axe_violations(page: Page, context: str | dict | None = None) -> list[dict]:
    """Every axe-core violation on the page (WCAG 2.1 A/AA and best practices)."""
    results = await Axe().run(page, context=context)
    return results.response["violations"]


async def assert_accessible(page: Page, context: str | dict | None = None) -> list[dict]:
    """Fails on serious or critical axe violations; returns all violations for the record."""
    violations = await axe_violations(page, context)
    serious = blocking(violations)
    assert not serious, f"axe: serious or critical violations on {page.url}:\n{describe(serious)}"
    return violations


async def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path | None:
    """Save `name`.png into $FAHRPLAN_SCREENSHOTS (the README's pictures); without it, nothing."""
    folder = os.environ.get("FAHRPLAN_SCREENSHOTS")
    if not folder:
        return None
    path = Path(folder) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path
