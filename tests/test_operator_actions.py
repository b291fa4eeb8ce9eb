"""Operator actions in the Temporal UI, done through the client as the UI does them: terminate,
cancel, reset to an earlier event, pause and unpause. Afterwards the API tells the truth, refuses
what is no longer possible with a clear 409 (never a 500), the audit trail's hash chain is intact,
`fahrplan reconcile` reports each difference and `--fix` repairs what it can, and the worker's
sweep notices terminated, cancelled and reset cases by itself.

The time-skipping test server has neither reset nor pause: these run on a dev server of their own
(workflow pause switched on, as an operator's server would have it)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, ResetReapplyExcludeType
from temporalio.api.workflowservice.v1 import (
    PauseWorkflowExecutionRequest,
    ResetWorkflowExecutionRequest,
    UnpauseWorkflowExecutionRequest,
)
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from persistence import audit_verify
from persistence import models as m
from persistence.closure import CANCELED, PAUSED, RUNNING, TERMINATED
from persistence.db import Database
from runtime import metrics
from runtime.settings import Settings
from runtime.temporal import DATA_CONVERTER, listed_workflows, raw_status
from tests.api_fixtures import TOKENS, auth, new_case
from tests.audit_support import fahrplan, temporal_env
from tests.conftest import new_worker
from tests.dbfixtures import TEST_AUDIT_KEYS
from tests.ops_support import series
from worker import audit_anchors, sweeps
from worker import reconcile as reconcile_module
from worker.commands import reconcile as command
from worker.commands.devserver import temporal_binary
from worker.operator_sweep import OperatorSweep
from worker.reconcile import CASES, PARALLEL, reconcile
from workflows import search_attributes as sa
from workflows.host import CaseWorkflow

PAUSE_ENABLED = ["--dynamic-config-value", "frontend.WorkflowPauseEnabled=true"]


@pytest.fixture(scope="module")
async def dev_env():
    environment = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=DATA_CONVERTER,
        search_attributes=list(sa.ALL),
        dev_server_log_level="error",
        dev_server_extra_args=PAUSE_ENABLED,
    )
    yield environment
    await environment.shutdown()


@pytest.fixture
async def stack(dev_env, sqlite_db, tmp_path):
    client = dev_env.client
    async with new_worker(client, db=sqlite_db) as worker:
        settings = Settings(
            task_queue=worker.task_queue, api_tokens=TOKENS, data_dir=tmp_path, update_timeout_seconds=20
        )
        app = create_app(settings, client=client, db=sqlite_db)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t/api/v1") as http:
            yield client, http, sqlite_db, worker.task_queue


def _wid(case: dict) -> str:
    return case["workflow_id"]


async def _status_becomes(client, wid: str, status: int) -> None:
    for _ in range(100):
        if await raw_status(client, wid) == status:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{wid} never reached status {status}")


async def _pause(client, wid: str, unpause: bool = False) -> None:
    kind = UnpauseWorkflowExecutionRequest if unpause else PauseWorkflowExecutionRequest
    request = kind(
        namespace=client.namespace, workflow_id=wid, reason="Wartung", identity="operator", request_id=str(uuid.uuid4())
    )
    call = (
        client.workflow_service.unpause_workflow_execution
        if unpause
        else client.workflow_service.pause_workflow_execution
    )
    await call(request)


async def _reset_to_event(client, wid: str, sequence: int) -> None:
    """Reset as the UI does, to the workflow task that completed right after event `sequence` was
    recorded (its record_transition local activity's marker, or the completion of the regular
    activity of older cases); later updates are not reapplied."""
    events = [e async for e in client.get_workflow_handle(wid).fetch_history_events()]
    done = [i for i, e in enumerate(events) if _recorded(e)]
    after = done[sequence]
    finish = next(e.event_id for e in events[after:] if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=wid),
            reason="Korrektur",
            workflow_task_finish_event_id=finish,
            request_id=str(uuid.uuid4()),
            reset_reapply_exclude_types=[ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE],
            identity="operator",
        )
    )


def _recorded(event) -> bool:
    if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        return True
    return (
        event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and event.marker_recorded_event_attributes.marker_name == "core_local_activity"
    )


async def _step(http, case: dict, trigger: str, role: str, data=None) -> httpx.Response:
    return await http.post(
        f"/cases/{case['case_id']}/transitions", json={"trigger": trigger, "data": data or {}}, headers=auth(role)
    )


async def _get(http, case: dict) -> dict:
    r = await http.get(f"/cases/{case['case_id']}", headers=auth("jobcoach"))
    assert r.status_code == 200, r.text
    return r.json()


async def _trail(db, case_id: str) -> list[tuple[int, str]]:
    async with db.unit_of_work(read_only=True) as session:
        rows = await session.execute(
            select(m.CaseEvent.sequence, m.CaseEvent.trigger)
            .where(m.CaseEvent.case_id == case_id)
            .order_by(m.CaseEvent.sequence)
        )
        return [tuple(r) for r in rows]


async def _snapshot(client, case: dict):
    return await client.get_workflow_handle(_wid(case)).query(CaseWorkflow.snapshot)


async def test_terminated_and_cancelled_cases_are_closed_with_a_reason(stack):
    client, http, db, _ = stack
    terminated, cancelled = await new_case(http), await new_case(http)
    await client.get_workflow_handle(_wid(terminated)).terminate(reason="vom Betrieb beendet")
    await client.get_workflow_handle(_wid(cancelled)).cancel()
    await _status_becomes(client, _wid(cancelled), CANCELED)

    # A transition finds out: 409 with the reason, and the read model is closed.
    r = await _step(http, terminated, "identitaet_bestaetigt", "egs")
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "terminiert" in r.json()["detail"] and r.json()["closed_reason"] == "terminiert"
    seen = await _get(http, terminated)
    assert seen["final"] is True and seen["closed_reason"] == "terminiert" and seen["allowed_triggers"] == []
    # Reading finds out too, before any transition.
    seen = await _get(http, cancelled)
    assert seen["final"] is True and seen["closed_reason"] == "abgebrochen" and seen["allowed_triggers"] == []
    again = await _step(http, cancelled, "identitaet_bestaetigt", "egs")
    assert again.status_code == 409 and "abgebrochen" in again.json()["detail"]
    # Their open tasks are closed with them; the audit trail is intact and unchanged.
    async with db.unit_of_work(read_only=True) as session:
        open_tasks = await session.scalar(
            select(m.Task.id).where(
                m.Task.case_id.in_([terminated["case_id"], cancelled["case_id"]]), m.Task.status == "offen"
            )
        )
    assert open_tasks is None
    assert (await audit_verify.verify(db)).ok
    assert await _trail(db, terminated["case_id"]) == [(0, "fall_angelegt")]


async def test_a_paused_case_answers_409_until_unpaused(stack):
    client, http, _, _ = stack
    case = await new_case(http)
    await _pause(client, _wid(case))
    await _status_becomes(client, _wid(case), PAUSED)
    r = await _step(http, case, "identitaet_bestaetigt", "egs")
    assert r.status_code == 409, r.text
    assert r.json()["type"] == "/problems/case-paused" and r.json()["angehalten"] is True
    seen = await _get(http, case)
    assert seen["angehalten"] is True and seen["final"] is False
    await _pause(client, _wid(case), unpause=True)
    await _status_becomes(client, _wid(case), RUNNING)
    assert (await _get(http, case))["angehalten"] is False
    r = await _step(http, case, "identitaet_bestaetigt", "egs")
    assert r.status_code == 200, r.text


async def test_a_reset_case_continues_its_trail_without_losing_or_doubling(stack):
    client, http, db, queue = stack
    case = await new_case(http)
    assert (await _step(http, case, "identitaet_bestaetigt", "egs")).status_code == 200
    r = await _step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})
    assert r.status_code == 200, r.text
    await _reset_to_event(client, _wid(case), 1)  # back to after identitaet_bestaetigt
    snap = await _snapshot(client, case)
    assert snap.sequence == 1 and snap.state == "antrag_eingegangen"

    # The next transition is recorded after a reset event: nothing lost, nothing doubled.
    r = await _step(http, case, "antrag_zurueckgenommen", "egs")
    assert r.status_code == 200, r.text
    assert await _trail(db, case["case_id"]) == [
        (0, "fall_angelegt"),
        (1, "identitaet_bestaetigt"),
        (2, "an_clearing_uebergeben"),
        (3, "zurueckgesetzt"),
        (4, "antrag_zurueckgenommen"),
    ]
    seen = await _get(http, case)
    assert seen["state"]["name"] == "beendet" and seen["version"] == 4
    assert (await audit_verify.verify(db)).ok
    events = (await http.get(f"/cases/{case['case_id']}/events", headers=auth("jobcoach"))).json()
    assert events[3]["trigger"]["label"] == "In Temporal zurückgesetzt"
    assert (events[3]["from_state"]["name"], events[3]["to_state"]["name"]) == ("clearing_offen", "antrag_eingegangen")
    assert await reconcile(client, db, task_queue=queue, case_ids=[case["case_id"]]) == []
    # and `fahrplan audit verify` against the workflows agrees (the workflow's numbers are mapped)
    report = await audit_verify.verify(db)
    await audit_anchors.compare(report, db, client)
    assert [b for b in report.breaks if b.case_id == case["case_id"]] == []


async def test_reconcile_reports_each_operator_action_and_fixes_what_it_can(stack, monkeypatch):
    monkeypatch.setattr("worker.reconcile.PAGE", 2)  # the four cases on two pages of the read model
    client, http, db, queue = stack
    untouched, terminated, reset, paused = [await new_case(http) for _ in range(4)]
    for case in (untouched, reset):
        assert (await _step(http, case, "identitaet_bestaetigt", "egs")).status_code == 200
    assert (await _step(http, reset, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})).status_code == 200
    await client.get_workflow_handle(_wid(terminated)).terminate(reason="vom Betrieb beendet")
    await _status_becomes(client, _wid(terminated), TERMINATED)
    await _reset_to_event(client, _wid(reset), 1)
    await _pause(client, _wid(paused))
    await _status_becomes(client, _wid(paused), PAUSED)

    listed = await reconcile(client, db, task_queue=queue)
    found = {d.case_id: d for d in listed}
    assert {k: d.kind for k, d in found.items()} == {
        terminated["case_id"]: "terminiert",
        reset["case_id"]: "zurueckgesetzt",
        paused["case_id"]: "angehalten",
    }
    assert [d.case_id for d in listed] == sorted(found)  # in case id order, compared eight at a time
    assert await reconcile(client, db, task_queue=queue, parallel=1) == listed
    assert not any(d.fixed for d in found.values())

    fixed = {d.case_id: d for d in await reconcile(client, db, task_queue=queue, fix=True)}
    assert fixed[terminated["case_id"]].fixed and fixed[reset["case_id"]].fixed
    assert not fixed[paused["case_id"]].fixed
    left = await reconcile(client, db, task_queue=queue)
    assert [(d.case_id, d.kind) for d in left] == [(paused["case_id"], "angehalten")]

    # The reset case's read model is the workflow's again, its trail says so and stays a chain.
    snap = await _snapshot(client, reset)
    seen = await _get(http, reset)
    assert seen["state"]["name"] == snap.state and seen["version"] == 3
    assert [t for _, t in await _trail(db, reset["case_id"])][-1] == "zurueckgesetzt"
    assert (await _get(http, terminated))["closed_reason"] == "terminiert"
    assert (await audit_verify.verify(db)).ok
    # and it goes on from there: the next event follows the reset event
    assert (await _step(http, reset, "antrag_zurueckgenommen", "egs")).status_code == 200
    assert (await _trail(db, reset["case_id"]))[-1] == (4, "antrag_zurueckgenommen")
    assert await reconcile(client, db, task_queue=queue, case_ids=[reset["case_id"]]) == []
    await _pause(client, _wid(paused), unpause=True)


async def test_reconcile_repairs_a_read_model_regime_that_differs_from_the_workflows(stack):
    """A reset can go back before a regime switch (R62): the read model's regime then differs
    from the one the workflow runs under, and `--fix` writes the workflow's."""
    client, http, db, queue = stack
    case = await new_case(http)
    running = (await _snapshot(client, case)).regime
    assert running and (await _get(http, case))["regime"] == running
    other = "buergergeld_2023" if running != "buergergeld_2023" else "grundsicherung_2026"
    await db.run(lambda s: s.execute(update(m.Case).where(m.Case.case_id == case["case_id"]).values(regime=other)))

    found = await reconcile(client, db, task_queue=queue, case_ids=[case["case_id"]])
    assert [(d.kind, d.fixed) for d in found] == [("abweichend", False)]
    assert [d.fixed for d in await reconcile(client, db, task_queue=queue, fix=True, case_ids=[case["case_id"]])] == [
        True
    ]
    assert (await _get(http, case))["regime"] == running
    assert await reconcile(client, db, task_queue=queue, case_ids=[case["case_id"]]) == []


def _backup(db_file, to) -> None:
    """A copy of the SQLite read model as a backup tool takes it (sqlite3's online backup)."""
    with contextlib.closing(sqlite3.connect(db_file)) as source, contextlib.closing(sqlite3.connect(to)) as target:
        source.backup(target)


async def test_reconcile_reports_open_workflows_whose_case_a_restored_database_lacks(stack, tmp_path):
    """The database restored from a backup taken before two cases were opened: their workflows run
    on (one paused), the read model knows nothing of them. Reconcile names both; nothing to fix."""
    client, http, db, queue = stack
    before = await new_case(http)
    _backup(tmp_path / "fahrplan.db", tmp_path / "backup.db")
    running, paused = await new_case(http), await new_case(http)
    await _pause(client, _wid(paused))
    await _status_becomes(client, _wid(paused), PAUSED)
    restored = Database(f"sqlite:///{tmp_path / 'backup.db'}", audit_keys=TEST_AUDIT_KEYS)
    try:
        # visibility lags the start by a moment: the listing finds both once they are indexed
        for _ in range(50):
            found = await reconcile(client, restored, task_queue=queue)
            if len(found) == 2:
                break
            await asyncio.sleep(0.1)
        expected = sorted(
            (case["case_id"], "ohne-fall", f"Workflow {_wid(case)} {how}, der Fall fehlt im Read Model")
            for case, how in ((running, "läuft"), (paused, "pausiert"))
        )
        assert [(d.case_id, d.kind, d.detail) for d in found] == expected
        assert not any(d.fixed for d in await reconcile(client, restored, task_queue=queue, fix=True))
        # a case the read model has is never among them, even when the listing saw it before its row
        from worker.reconcile import _without_case

        assert await _without_case(client, db, queue, compared=set()) == []
        # named on the command line: the restored read model lacks one, the other id is nobody's
        named = await reconcile(client, restored, task_queue=queue, case_ids=[running["case_id"], "kein-solcher-fall"])
        assert [(d.case_id, d.kind) for d in named] == [
            (running["case_id"], "ohne-fall"),
            ("kein-solcher-fall", "kein-fall"),
        ]
        assert await reconcile(client, restored, task_queue=queue, case_ids=[before["case_id"]]) == []
        # the command: one line per difference, the count, exit 1 while any is left; 0 without
        code, out = await _fahrplan_reconcile(client, queue, tmp_path / "backup.db", "--parallel", "3")
        assert code == 1, out
        lines = [f"{c} {k}: {d}" for c, k, d in expected]
        assert out.splitlines()[-3:] == [*lines, "2 Abweichung(en), 0 behoben, 2 offen."], out
        code, out = await _fahrplan_reconcile(client, queue, tmp_path / "backup.db", before["case_id"])
        assert (code, out.splitlines()[-1]) == (0, "0 Abweichung(en), 0 behoben, 0 offen."), out
        code, out = await _fahrplan_reconcile(client, queue, tmp_path / "backup.db", "--parallel", "0")
        assert code == 2 and "--parallel: eine ganze Zahl ab 1 erwartet, nicht '0'" in out, out
        assert command.PARALLEL == PARALLEL  # the command's default (it loads worker/reconcile.py only to run)
    finally:
        await restored.dispose()
        await _pause(client, _wid(paused), unpause=True)


async def _fahrplan_reconcile(client, queue: str, db_file, *args: str) -> tuple[int, str]:
    """`fahrplan reconcile ARGS` as a process against the tests' Temporal server and `db_file`."""
    env = temporal_env(client) | {
        "FAHRPLAN_DATABASE_URL": f"sqlite:///{db_file}",
        "FAHRPLAN_TASK_QUEUE": queue,
        "FAHRPLAN_DATA_DIR": str(db_file.parent / "reconcile-data"),
    }
    return await fahrplan("reconcile", *args, env=env)


async def _row(db, case: dict):
    """The case's read-model row as reconcile reads it."""
    async with db.unit_of_work(read_only=True) as session:
        return (await session.execute(CASES.where(m.Case.case_id == case["case_id"]))).one()


async def _open_tasks(db, case: dict) -> int:
    async with db.unit_of_work(read_only=True) as session:
        found = select(m.Task.id).where(m.Task.case_id == case["case_id"], m.Task.status == "offen")
        return len((await session.scalars(found)).all())


def _operator_actions() -> dict[str, float]:
    exported = series(metrics.exposition(metrics.registry()).decode())
    return {labels["kind"]: value for labels, value in exported["fahrplan_operator_actions_total"]}


async def _swept(client, db, sweep: OperatorSweep, expected: int) -> list:
    """The sweep's differences once visibility has the closed runs (it indexes a close a moment later)."""
    for _ in range(100):
        found = await sweep.sweep(client, db)
        if len(found) >= expected:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"the sweep found {found}, not {expected} differences")


async def test_the_worker_notices_terminated_cancelled_and_reset_cases_by_itself(stack):
    """Nobody reads the cases or runs reconcile: the worker's sweep closes the terminated and the
    cancelled case with their tasks and gives the reset case its reset event and the workflow's
    state. Read through the database, not the API (reading a case through the API notices too)."""
    client, http, db, queue = stack
    untouched, terminated, cancelled, reset = [await new_case(http) for _ in range(4)]
    assert await _open_tasks(db, terminated) > 0
    assert (await _step(http, reset, "identitaet_bestaetigt", "egs")).status_code == 200
    assert (await _step(http, reset, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})).status_code == 200
    await client.get_workflow_handle(_wid(terminated)).terminate(reason="vom Betrieb beendet")
    await client.get_workflow_handle(_wid(cancelled)).cancel()
    await _status_becomes(client, _wid(cancelled), CANCELED)
    await _reset_to_event(client, _wid(reset), 1)

    before = _operator_actions()
    sweep = OperatorSweep(queue)
    found = await _swept(client, db, sweep, 3)
    assert [(d.case_id, d.kind, d.fixed) for d in found] == sorted(
        [
            (terminated["case_id"], "terminiert", True),
            (cancelled["case_id"], "abgebrochen", True),
            (reset["case_id"], "zurueckgesetzt", True),
        ]
    )
    counted = _operator_actions()  # fahrplan_operator_actions_total{kind}: each fix once
    assert {kind: counted[kind] - before.get(kind, 0) for kind in counted} == {
        "terminiert": 1,
        "abgebrochen": 1,
        "zurueckgesetzt": 1,
        "fehlgeschlagen": 0,
        "zeitüberschritten": 0,
    }
    for case, reason in ((terminated, "terminiert"), (cancelled, "abgebrochen")):
        row = await _row(db, case)
        assert (row.final, row.closed_reason) == (True, reason)
        assert await _open_tasks(db, case) == 0
    row, snap = await _row(db, reset), await _snapshot(client, reset)
    assert (row.state, row.version) == (snap.state, 3)
    assert [t for _, t in await _trail(db, reset["case_id"])] == [
        "fall_angelegt",
        "identitaet_bestaetigt",
        "an_clearing_uebergeben",
        "zurueckgesetzt",
    ]
    assert (await _row(db, untouched)).final is False
    # It lists the runs closed since it looked before: three before now, none after it.
    now = datetime.now(UTC)
    assert len([r async for r in listed_workflows(client, sweep.query(now - timedelta(minutes=1)))]) == 3
    assert [r async for r in listed_workflows(client, sweep.query(now + timedelta(minutes=1)))] == []
    # The next sweep looks back a little (visibility lags) and finds the same runs: nothing left.
    assert sweep.since is not None and await sweep.sweep(client, db) == []
    assert await reconcile(client, db, task_queue=queue) == []
    assert (await audit_verify.verify(db)).ok
    # and the reset case goes on from its reset event
    assert (await _step(http, reset, "antrag_zurueckgenommen", "egs")).status_code == 200
    assert (await _trail(db, reset["case_id"]))[-1] == (4, "antrag_zurueckgenommen")


async def test_a_fix_never_undoes_a_step_the_case_took_after_its_comparison(stack):
    """A case compared (its row and the workflow's case read), then a transition before the fix.
    The fix made from that comparison changes nothing; the next comparison sees the case as it
    is. Before, a reset case got a second reset event and its read model went back to the version
    compared; a differing one went back too; and a catch_up signal to a workflow that had closed
    meanwhile raised out of reconcile."""
    client, http, db, _ = stack
    reset, differing, closing = [await new_case(http) for _ in range(3)]
    for case in (reset, closing):
        assert (await _step(http, case, "identitaet_bestaetigt", "egs")).status_code == 200
        assert (await _step(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"})).status_code == 200

    # reset: record_transition writes the reset event and the step itself
    await _reset_to_event(client, _wid(reset), 0)
    compared = await _row(db, reset), await _snapshot(client, reset)
    assert (await _step(http, reset, "identitaet_bestaetigt", "egs")).status_code == 200
    trail = await _trail(db, reset["case_id"])
    assert trail[-2:] == [(3, "zurueckgesetzt"), (4, "identitaet_bestaetigt")]
    found = await reconcile_module._compare_snapshot(client, db, *compared, fix=True)
    assert (found.kind, found.fixed) == ("zurueckgesetzt", False)
    assert await _trail(db, reset["case_id"]) == trail and (await _row(db, reset)).version == 4

    # differing: the read model's regime is not the workflow's (as in the regime test above)
    running = (await _snapshot(client, differing)).regime
    other = "buergergeld_2023" if running != "buergergeld_2023" else "grundsicherung_2026"
    await db.run(lambda s: s.execute(update(m.Case).where(m.Case.case_id == differing["case_id"]).values(regime=other)))
    compared = await _row(db, differing), await _snapshot(client, differing)
    assert (await _step(http, differing, "identitaet_bestaetigt", "egs")).status_code == 200
    found = await reconcile_module._compare_snapshot(client, db, *compared, fix=True)
    assert (found.kind, found.fixed) == ("abweichend", False)
    row = await _row(db, differing)
    assert (row.version, row.state) == (1, (await _snapshot(client, differing)).state)

    # a reset case that closes before the fix: the stale comparison takes the new run's step for
    # a lost one, and its signal finds the workflow closed
    await _reset_to_event(client, _wid(closing), 1)
    compared = await _row(db, closing), await _snapshot(client, closing)
    assert (await _step(http, closing, "antrag_zurueckgenommen", "egs")).status_code == 200
    trail = await _trail(db, closing["case_id"])
    found = await reconcile_module._compare_snapshot(client, db, *compared, fix=True)
    assert (found.kind, found.fixed) == ("verlorener-schritt", False)
    assert await _trail(db, closing["case_id"]) == trail
    assert await reconcile(client, db, task_queue=stack[3], case_ids=[closing["case_id"]]) == []
    assert (await audit_verify.verify(db)).ok


async def test_the_worker_sweeps_until_it_stops(stack, monkeypatch):
    """`fahrplan worker` (and `fahrplan up`) run the sweeps: a terminated case closes without
    anyone asking, and the sweeps end when the worker stops."""
    monkeypatch.setattr(sweeps, "SWEEP_SECONDS", 0.2)
    client, http, db, queue = stack
    case = await new_case(http)
    stop = asyncio.Event()
    running = asyncio.create_task(sweeps.run_sweeps(client, db, queue, stop))
    try:
        await client.get_workflow_handle(_wid(case)).terminate(reason="vom Betrieb beendet")
        for _ in range(100):
            if (await _row(db, case)).final:
                break
            await asyncio.sleep(0.1)
        assert (await _row(db, case)).closed_reason == "terminiert"
    finally:
        stop.set()
        await asyncio.wait_for(running, 5)
