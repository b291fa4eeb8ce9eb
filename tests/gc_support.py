"""The group-coaching API fixture: the app over httpx with participant tokens added per test."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from api.app import create_app
from runtime.settings import Settings, TokenUser
from statemachines import Policy
from tests.api_fixtures import PERSON, TOKENS, auth, go

TERMIN = {"termin": "2027-12-01T10:00:00+01:00"}  # an appointment lies in the future (R19)
POLICY = Policy(gc_kapazitaet=2, gc_min_teilnehmende=2)  # small numbers: "full" and "too few" in a few steps


class GC:
    """The app over httpx, with participant tokens added per test."""

    def __init__(self, http: httpx.AsyncClient, app, env):
        self.http, self.app, self.env = http, app, env

    def participant(self, case_id: str) -> dict[str, str]:
        token = f"tok-tn-{case_id}"
        self.app.state.tokens[token] = TokenUser(user=f"tn-{case_id[:8]}", roles=["teilnehmende"], case_id=case_id)
        return {"Authorization": f"Bearer {token}"}

    async def case(self, facts: dict | None = None, probezeit: bool = True) -> str:
        r = await self.http.post(
            "/cases", json={"process": "gruppencoaching", "person": PERSON, "facts": facts or {}}, headers=auth("ifk")
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        if probezeit:
            await go(self.http, case_id, "uebergabe_vereinbart", "ifk", TERMIN)
            await go(self.http, case_id, "probezeit_begonnen", "ifk")
        return case_id

    async def sessions(self, days_ahead: int = 7, wochen: int = 2) -> list[dict]:
        von = (await self.env.get_current_time()).date() + timedelta(days=days_ahead)
        r = await self.http.post(
            "/sitzungen/plan", json={"von": von.isoformat(), "wochen": wochen}, headers=auth("jobcoach")
        )
        assert r.status_code == 201, r.text
        return r.json()

    async def book(self, sitzung: dict, who: dict[str, str], **body):
        return await self.http.post(f"/sitzungen/{sitzung['id']}/buchungen", json=body, headers=who)

    async def sitzung(self, sitzung: dict) -> dict:
        return (await self.http.get(f"/sitzungen/{sitzung['id']}", headers=auth("jobcoach"))).json()


@pytest.fixture
async def gc(client, sqlite_db, worker, tmp_path, env):
    settings = Settings(
        task_queue=worker.task_queue, api_tokens=TOKENS, data_dir=tmp_path, update_timeout_seconds=20, policy=POLICY
    )
    app = create_app(settings, client=client, db=sqlite_db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test/api/v1") as http:
        yield GC(http, app, env)
