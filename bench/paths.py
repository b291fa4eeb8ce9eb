"""The paths a bench drives: Fahrplan transitions through the HTTP API, and bare Temporal updates.

Two more take the HTTP API away piece by piece, to show where a Fahrplan transition's cost goes
(README, Performance): `usecase` calls the transition use case in the bench process (the API's
work without HTTP and without a process of its own), `workflow` sends the signed update the use
case would send straight to the case's workflow (the workflow, its activity and the server alone).
All three run the same steps on the same kind of case."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import Client

from api.schemas.cases import TransitionCreate
from api.usecases.actors import User
from api.usecases.case_commands import CaseCommands
from api.usecases.case_workflows import send, signed
from bench import bare
from bench.environment import wait_until, worker_processes
from bench.http import LeanClient
from bench.measure import CpuProbe, Run, drive, gather_limited, settled
from persistence.db import Database
from persistence.open import open_database
from runtime import signing
from runtime.settings import Settings, TokenUser
from runtime.signing import SigningKeys
from runtime.temporal import connect, register_search_attributes
from worker.main import build_worker
from workflows import search_attributes
from workflows.messages import TransitionRequest

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

    @staticmethod
    def step(i: int) -> tuple[str, dict, str]:
        """The i-th step of a case: trigger, data and the role that fires it."""
        if i == 0:
            return "an_clearing_uebergeben", {"uebergabe": "warm"}, "egs"
        return "clearingtermin_vereinbart", {"termin": (TERMIN + timedelta(days=i)).isoformat()}, "jobcoach"

    async def fire(self, case_id: str, i: int) -> None:
        trigger, data, role = self.step(i)
        body = {"trigger": trigger, "data": data}
        r = await self.http.post(
            f"/cases/{case_id}/transitions", json=body, headers={"Authorization": f"Bearer bench-{role}"}
        )
        if r.status_code != 200:
            raise RuntimeError(f"{trigger} on {case_id}: {r.status_code} {r.text}")

    async def measure(self, n: int, m: int, c: int) -> Run:
        cases = await gather_limited(n, c, self.new_case)
        await settled(self.client, [f"neuantrag-{case_id}" for case_id in cases], c)
        return await drive(cases, m, c, self.fire, self.probe)


class UseCasePath(FahrplanPath):
    """The same steps through `CaseCommands.transition` in the bench process: everything the API
    does for a transition (reads, checks, request row, signed update, answer) without HTTP."""

    def __init__(self, http: LeanClient, probe: CpuProbe, client: Client, cases: CaseCommands):
        super().__init__(http, probe, client)
        self.cases = cases

    async def fire(self, case_id: str, i: int) -> None:
        trigger, data, role = self.step(i)
        user = User(user=f"bench-{role}", roles=frozenset({role}))
        answer = await self.cases.transition(case_id, TransitionCreate(trigger=trigger, data=data), user, None)
        if answer["case_id"] != case_id:
            raise RuntimeError(f"{trigger} on {case_id}: answered for {answer['case_id']}")


class WorkflowPath(FahrplanPath):
    """The same steps as the signed updates the use case sends, straight to each case's workflow:
    the workflow, its activity and the server, without the API's reads, request row and answer
    (the audit event's actor is then "unbekannt", as for a request without its row)."""

    def __init__(self, http: LeanClient, probe: CpuProbe, client: Client, keys: SigningKeys):
        super().__init__(http, probe, client)
        self.keys = keys

    async def fire(self, case_id: str, i: int) -> None:
        trigger, data, role = self.step(i)
        request = TransitionRequest(trigger=trigger, data=data, role=role, request_id=str(uuid.uuid4()))
        await send(self.client, f"neuantrag-{case_id}", signed(self.keys, case_id, "neuantrag", request), 60)


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


async def start_workers(
    stack: contextlib.AsyncExitStack,
    args: argparse.Namespace,
    settings: Settings,
    client: Client,
    db: Database,
    bare_queue: str | None,
    probe: CpuProbe,
) -> dict[str, subprocess.Popen]:
    """Fahrplan's worker and, with `bare_queue`, the bare path's: in this process beside the
    clients (the default), or each in a process of its own as in production (--worker-process).
    Returns the processes to watch by name (none in this process)."""
    if args.worker_process:
        return stack.enter_context(worker_processes(settings, bare_queue, args.sandbox, probe))
    keys = signing.keys_from_settings(settings)
    await stack.enter_async_context(
        build_worker(client, db, settings.task_queue, sandboxed=args.sandbox, signing_keys=keys)
    )
    if bare_queue is not None:
        await stack.enter_async_context(bare.bare_worker(client, bare_queue, args.sandbox))
    return {}
