"""The two paths a bench drives: Fahrplan transitions through the HTTP API, and bare Temporal updates."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import Client

from bench import bare
from bench.environment import wait_until
from bench.http import LeanClient
from bench.measure import CpuProbe, Run, drive, gather_limited, settled
from persistence.db import Database
from persistence.open import open_database
from runtime.settings import Settings, TokenUser
from runtime.temporal import connect, register_search_attributes
from workflows import search_attributes

TOKENS = {f"bench-{role}": TokenUser(user=f"bench-{role}", roles=[role]) for role in ("egs", "jobcoach")}
PERSON = {"vorname": "Bench", "nachname": "Mark"}
TERMIN = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


class FahrplanPath:
    """neuantrag cases through the HTTP API: an_clearing_uebergeben, then clearingtermin_vereinbart (reflexive)."""

    def __init__(self, http: LeanClient, probe: CpuProbe, client: Client):
        self.http, self.probe, self.client = http, probe, client

    async def new_case(self) -> str:
        r = await self.http.post(
            "/cases",
            json={"process": "neuantrag", "person": PERSON, "facts": {"antragsweg": "persoenlich"}},
            headers={"Authorization": "Bearer bench-egs"},
        )
        if r.status_code != 201:
            raise RuntimeError(f"POST /cases: {r.status_code} {r.text}")
        return r.json()["case_id"]

    async def fire(self, case_id: str, i: int) -> None:
        if i == 0:
            body, token = {"trigger": "an_clearing_uebergeben", "data": {"uebergabe": "warm"}}, "bench-egs"
        else:
            termin = (TERMIN + timedelta(days=i)).isoformat()
            body, token = {"trigger": "clearingtermin_vereinbart", "data": {"termin": termin}}, "bench-jobcoach"
        r = await self.http.post(
            f"/cases/{case_id}/transitions", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        if r.status_code != 200:
            raise RuntimeError(f"{body['trigger']} on {case_id}: {r.status_code} {r.text}")

    async def measure(self, n: int, m: int, c: int) -> Run:
        cases = await gather_limited(n, c, self.new_case)
        await settled(self.client, [f"neuantrag-{case_id}" for case_id in cases], c)
        return await drive(cases, m, c, self.fire, self.probe)


class BarePath:
    def __init__(self, client, task_queue: str, probe: CpuProbe, variant: bare.Variant = bare.PLAIN):
        self.client, self.task_queue, self.probe, self.variant = client, task_queue, probe, variant

    async def measure(self, n: int, m: int, c: int) -> Run:
        handles = await gather_limited(n, c, lambda: bare.start_case(self.client, self.task_queue, self.variant))
        await settled(self.client, [h.id for h in handles], c)
        pad = "x" * self.variant.pad

        async def fire(handle, sequence: int) -> None:
            await bare.fire_padded(handle, sequence, pad)

        run = await drive(handles, m, c, fire if pad else bare.fire, self.probe)
        await asyncio.gather(*(h.signal(bare.BareCase.finish) for h in handles))
        return run


async def connected(workdir: Path, address: str, database_url: str) -> tuple[Settings, Client, Database]:
    """Settings for a bench run (its own task queue, the bench tokens), the Temporal client, the database."""
    settings = Settings(
        _env_file=None,
        temporal_address=address,
        database_url=database_url,
        data_dir=workdir,
        task_queue=f"fahrplan-bench-{uuid.uuid4().hex[:8]}",
        api_tokens=TOKENS,
        update_timeout_seconds=60,
    )
    client = await wait_until(lambda: connect(settings), "Temporal dev server")
    await register_search_attributes(client, settings.temporal_namespace, search_attributes.ALL)
    return settings, client, open_database(settings)
