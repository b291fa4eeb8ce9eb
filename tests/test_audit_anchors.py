"""`fahrplan audit verify` against the workflows (worker/audit_anchors.py), on SQLite and PostgreSQL
with the time-skipping Temporal server: what the database alone cannot show (issue 13, item 5).

(a) the last event deleted and `cases.version` set back: the chain is intact in itself, the
    workflow's sequence is further; (b) a whole case deleted: its workflow remains; and a case
    whose workflow Temporal does not know. (c) and (d) are database checks: tests/test_audit_chain.py.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import text
from temporalio.testing import WorkflowEnvironment

from activities import CaseActivities
from persistence import audit_verify
from persistence.db import Database
from runtime.temporal import DATA_CONVERTER, register_search_attributes
from tests.api_fixtures import go, new_case
from tests.audit_support import fahrplan_verify, rehash_with_key, tamper
from tests.cases import case_id_of, start_case
from tests.conftest import _binary
from tests.dbfixtures import TEST_AUDIT_KEYS
from tests.test_activities import start
from worker import audit_anchors
from workflows import search_attributes
from workflows.messages import CaseSnapshot


async def _case_with_two_steps(http) -> str:
    case = await new_case(http)
    await go(http, case, "an_clearing_uebergeben", "egs", {"uebergabe": "warm"}, comment="Rückruf erbeten")
    await go(http, case, "clearingtermin_vereinbart", "jobcoach", {"termin": "2027-02-01T09:00:00+01:00"})
    return case["case_id"]


async def _verify(db: Database, client) -> audit_verify.Report:
    report = await audit_verify.verify(db)
    await audit_anchors.compare(report, db, client)
    return report


async def test_untouched_cases_agree_with_their_workflows(backend_http, database, client):
    first, second = await _case_with_two_steps(backend_http), await _case_with_two_steps(backend_http)
    report = await _verify(database, client)
    assert (report.ok, report.unchecked, report.workflows_checked) == (True, [], 2), report.breaks
    assert {case: chain.sequence for case, chain in report.chains.items()} == {first: 2, second: 2}


async def test_deleted_last_event_with_version_set_back_found_by_workflow_sequence(backend_http, database, client):
    """(a) The chain without its last event is a valid chain, and the read model was set back to
    match: only the workflow still knows that the case went further."""
    case_id, other = await _case_with_two_steps(backend_http), await _case_with_two_steps(backend_http)
    await tamper(
        database,
        f"DELETE FROM notifications WHERE case_id = '{case_id}' AND sequence = 2",
        f"DELETE FROM tasks WHERE case_id = '{case_id}' AND sequence = 2",
        f"DELETE FROM case_events WHERE case_id = '{case_id}' AND sequence = 2",
        f"UPDATE cases SET version = 1, state = 'clearing_offen' WHERE case_id = '{case_id}'",
    )
    assert (await audit_verify.verify(database)).ok  # the database alone cannot tell
    report = await _verify(database, client)
    assert [(b.case_id, b.sequence) for b in report.breaks] == [(case_id, 2)]
    assert "Workflow steht auf Sequenz 2, die Kette endet bei 1" in report.broken.reason
    assert other not in report.broken_cases and report.workflows_checked == 2


async def test_deleted_case_found_by_its_workflow(backend_http, database, client):
    """(b) The case row and all its events deleted: the chains left are intact, the workflow remains.
    The time-skipping server cannot list workflows, so it is found through its requests (the
    foreign keys were off, as for anyone editing the file); tests/test_audit_listing.py lists."""
    case_id, other = await _case_with_two_steps(backend_http), await _case_with_two_steps(backend_http)
    await tamper(
        database,
        f"DELETE FROM case_events WHERE case_id = '{case_id}'",
        f"DELETE FROM cases WHERE case_id = '{case_id}'",
    )
    assert (await audit_verify.verify(database)).ok  # the database alone cannot tell
    report = await _verify(database, client)
    assert [(b.case_id, b.sequence) for b in report.breaks] == [(case_id, 0)]
    assert f"Workflow neuantrag-{case_id} ohne Fall in der Datenbank" in report.broken.reason
    assert any("keine Workflows auflisten" in note for note in report.notes) and other not in report.broken_cases


async def test_case_without_workflow_reported(backend_http, database, client):
    case_id = await _case_with_two_steps(backend_http)
    await tamper(database, f"UPDATE cases SET workflow_id = 'neuantrag-gibt-es-nicht' WHERE case_id = '{case_id}'")
    report = await _verify(database, client)
    reasons = {b.reason for b in report.breaks if b.case_id == case_id}
    assert "Temporal kennt den Workflow neuantrag-gibt-es-nicht nicht (Fall ohne Workflow)" in reasons


async def test_completed_workflow_compared_through_its_result(backend_http, database, client):
    case = await new_case(backend_http)
    done = await go(backend_http, case, "arbeit_aufgenommen", "egs")
    assert done["final"]
    handle = client.get_workflow_handle(case["workflow_id"])
    await handle.result()  # closed: no query, its result is the snapshot
    report = await _verify(database, client)
    assert (report.ok, report.workflows_checked) == (True, 1), report.breaks


async def test_head_digest_of_the_workflow_compared_with_the_stored_hash(backend_http, database):
    """Part (ii) of the anchor: once workflows keep `head_hash`, a chain rewritten under the key
    (same sequence, other digest) is found. Here the snapshot is given directly."""
    case_id = await _case_with_two_steps(backend_http)
    report = await audit_verify.verify(database)
    chain = report.chains[case_id]

    def snap(sequence: int, head: str) -> CaseSnapshot:
        return CaseSnapshot(
            case_id=case_id, process="neuantrag", state="x", sequence=sequence, facts={}, head_hash=head
        )

    await audit_anchors._compare_head(report, database, case_id, chain, snap(2, chain.hash))
    async with database.unit_of_work(read_only=True) as session:
        first = (
            await session.execute(text(f"SELECT hash FROM case_events WHERE case_id = '{case_id}' AND sequence = 1"))
        ).scalar()
    await audit_anchors._compare_head(report, database, case_id, chain, snap(1, first))  # the chain is ahead
    assert report.ok
    await audit_anchors._compare_head(report, database, case_id, chain, snap(2, "0" * 64))
    assert [(b.case_id, b.sequence) for b in report.breaks] == [(case_id, 2)]
    assert "weicht vom Workflow ab" in report.broken.reason


async def test_workflow_keeps_the_head_digest_and_verify_finds_a_chain_rehashed_with_the_key(
    backend_http, database, client
):
    """(c) with the key: an event changed and every later link rehashed under the real key is a
    valid chain in the database; the head digest the workflow kept from record_transition is not."""
    case_id = await _case_with_two_steps(backend_http)
    handle = client.get_workflow_handle(f"neuantrag-{case_id}")
    report = await audit_verify.verify(database)
    assert (await handle.query("snapshot", result_type=CaseSnapshot)).head_hash == report.chains[case_id].hash
    await rehash_with_key(database, case_id, 1, "actor=jemand", TEST_AUDIT_KEYS)
    assert (await audit_verify.verify(database)).ok  # the database alone cannot tell
    report = await _verify(database, client)
    assert [(b.case_id, b.sequence) for b in report.breaks] == [(case_id, 2)]
    assert "weicht vom Workflow ab" in report.broken.reason


async def test_cli_verify_with_temporal_reports_deleted_tail_in_german_exit_1(
    backend_http, database, database_url, client, tmp_path
):
    case_id = await _case_with_two_steps(backend_http)
    code, out = await fahrplan_verify(database_url, tmp_path / "v", client)
    assert code == 0, out
    assert "Abgleich mit Temporal: 1 Workflows geprüft" in out and "Audit-Kette intakt." in out
    await tamper(
        database,
        f"DELETE FROM notifications WHERE case_id = '{case_id}' AND sequence = 2",
        f"DELETE FROM tasks WHERE case_id = '{case_id}' AND sequence = 2",
        f"DELETE FROM case_events WHERE case_id = '{case_id}' AND sequence = 2",
        f"UPDATE cases SET version = 1 WHERE case_id = '{case_id}'",
    )
    code, out = await fahrplan_verify(database_url, tmp_path / "v")
    assert code == 0 and "nur die Datenbank geprüft (--ohne-temporal)" in out, out
    code, out = await fahrplan_verify(database_url, tmp_path / "v", client)
    assert code == 1, out
    assert f"Audit-Kette GEBROCHEN: Fall {case_id}, Sequenz 2: der Workflow steht auf Sequenz 2" in out


async def test_cli_verify_temporal_unreachable_exit_2_in_german(database_url, client, tmp_path):
    code, out = await fahrplan_verify(database_url, tmp_path, client, env={"FAHRPLAN_TEMPORAL_ADDRESS": "127.0.0.1:1"})
    assert code == 2 and "Temporal ist nicht erreichbar (127.0.0.1:1" in out and "--ohne-temporal" in out, out


async def test_verify_reports_each_tampered_case_once(backend_http, database, client):
    """(a) in one case, a changed event (c) in another: both reported, each with its first link."""
    tail, changed = await _case_with_two_steps(backend_http), await _case_with_two_steps(backend_http)
    await tamper(
        database,
        f"DELETE FROM notifications WHERE case_id = '{tail}' AND sequence = 2",
        f"DELETE FROM tasks WHERE case_id = '{tail}' AND sequence = 2",
        f"DELETE FROM case_events WHERE case_id = '{tail}' AND sequence = 2",
        f"UPDATE cases SET version = 1 WHERE case_id = '{tail}'",
        f"UPDATE case_events SET role = 'teamleitung' WHERE case_id = '{changed}' AND sequence = 1",
    )
    report = await _verify(database, client)
    assert sorted((b.case_id, b.sequence) for b in report.breaks) == sorted([(tail, 2), (changed, 1)])


async def test_workflows_not_answering_reported_unchecked_and_not_waited_for_each(database, monkeypatch):
    """No worker polls their task queue: the first queries fail, the rest are not asked (exit 2).
    On a time-skipping server of its own: a query nobody answers stops the shared one from skipping."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server"), data_converter=DATA_CONVERTER
    )
    try:
        client = environment.client
        await register_search_attributes(client, client.namespace, search_attributes.ALL)
        acts = CaseActivities(database)
        for _ in range(3):
            handle = await start_case(client, f"niemand-{uuid.uuid4()}", {"antragsweg": "persoenlich"})
            await acts.record_transition(start(case_id_of(handle)))
        monkeypatch.setattr(audit_anchors, "CONCURRENCY", 1)
        monkeypatch.setattr(audit_anchors, "GIVE_UP_AFTER", 1)
        monkeypatch.setattr(audit_anchors, "RPC_TIMEOUT", timedelta(seconds=1))
        report = await _verify(database, client)
    finally:
        await environment.shutdown()
    assert report.ok and report.workflows_checked == 0
    reasons = sorted(u.reason.split(" (")[0].split(":")[0] for u in report.unchecked)
    assert len(reasons) == 3 and reasons.count("nicht abgefragt") == 2, reasons
