"""The app over httpx with participant tokens bound to a case, and one case per process
brought through the API into a final state (there every trigger is checked for role
before state: 403 for an undeclared role, 422 or 409 for a declared one, nothing reaches
Temporal)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from api.app import create_app
from runtime.settings import PARTICIPANT, Settings, TokenUser
from tests.api_fixtures import PERSON, TOKENS, auth, go

ALG1_ENDE = "2029-06-30"  # far ahead: the Rechtskreiswechsel waits in vorgemerkt without a timer firing


class Api:
    def __init__(self, http: httpx.AsyncClient, app):
        self.http, self.app = http, app

    def participant(self, case_id: str | None) -> dict[str, str]:
        """A participant's token bound to `case_id` (None: bound to no case)."""
        token = f"tok-tn-{case_id}"
        self.app.state.tokens[token] = TokenUser(user=f"tn-{case_id}", roles=[PARTICIPANT], case_id=case_id)
        return {"Authorization": f"Bearer {token}"}

    def who(self, role: str, case_id: str | None = None) -> dict[str, str]:
        """Headers for `role`; a participant is bound to `case_id`."""
        return self.participant(case_id) if role == PARTICIPANT else auth(role)

    async def start(self, process: str, role: str, facts: dict | None = None) -> dict:
        body = {"process": process, "person": PERSON, "facts": facts or {}}
        r = await self.http.post("/cases", json=body, headers=auth(role))
        assert r.status_code == 201, r.text
        return r.json()

    async def _minderung(self, plan: dict) -> dict:
        """A minderung through the open plan case (a breach after the RFB), so its end reaches an open
        parent (a meldetermin ends when it opens one; the shared time-skipping server stops
        skipping time when a child of an ended case ends). The plan stays open."""
        plan = await go(self.http, plan, "mitwirkung_versaeumt", "ifk")
        plan = await go(self.http, plan, "mitwirkung_versaeumt", "ifk")
        minderung = await go(
            self.http, plan["links"]["minderung"], "von_minderung_abgesehen", "leistung", {"grund": "sonstiger_grund"}
        )
        for _ in range(200):  # the plan takes the Minderung's end in by a signal
            if (await self.state(plan["case_id"]))["facts"].get("minderung_ergebnis") == "abgesehen":
                break
            await asyncio.sleep(0.05)
        return minderung

    async def state(self, case_id: str) -> dict:
        r = await self.http.get(f"/cases/{case_id}", headers=auth("teamleitung"))
        assert r.status_code == 200, r.text
        return r.json()

    async def final_cases(self) -> dict[str, str]:
        """Process name -> id of one ended case of it, each reached through the API."""
        antrag = await self.start("neuantrag", "egs", {"antragsweg": "persoenlich"})
        neuantrag = await go(self.http, antrag, "antrag_zurueckgenommen", "egs")
        gruppe = await go(self.http, await self.start("gruppencoaching", "ifk"), "angebot_abgelehnt", "ifk")
        rkw = await self.start("rechtskreiswechsel", "egs", {"alg1_ende": ALG1_ENDE, "standort": "Gevelsberg"})
        rkw = await go(self.http, rkw, "kein_wechsel_erforderlich", "egs")
        plan = await go(self.http, await self.start("kooperationsplan", "ifk"), "potenzialanalyse_abgeschlossen", "ifk")
        plan = await go(self.http, plan, "schlichtung_beantragt", "ifk", {"initiiert_von": "elb"})
        schlichtung = await go(self.http, plan["links"]["schlichtung"], "zurueckgenommen", "ifk")
        for _ in range(200):  # the plan takes the Schlichtung's end in by a signal
            if (await self.state(plan["case_id"]))["state"]["name"] == "ohne_plan":
                break
            await asyncio.sleep(0.05)
        minderung = await self._minderung(plan)  # on the same plan: every case made here is listed
        plan = await go(self.http, plan, "leistungsbezug_beendet", "ifk")
        termin = {"termin": "2099-06-01T09:30:00+02:00", "ort": "Jobcenter Gevelsberg, Raum 1.12"}
        melde = await go(self.http, await self.start("meldetermin", "ifk", termin), "termin_abgesagt", "ifk")
        ended = {c["process"]: c for c in (neuantrag, gruppe, rkw, plan, schlichtung, melde, minderung)}
        assert all(c["final"] for c in ended.values()), {p: c["state"]["name"] for p, c in ended.items()}
        return {p: c["case_id"] for p, c in ended.items()}


@pytest.fixture
async def api(client, sqlite_db, worker, tmp_path):
    settings = Settings(task_queue=worker.task_queue, api_tokens=TOKENS, data_dir=tmp_path, update_timeout_seconds=20)
    app = create_app(settings, client=client, db=sqlite_db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test/api/v1") as http:
        yield Api(http, app)
