"""After a fault: nothing lost, nothing doubled, the read model equals the workflows."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select

from persistence import models as m
from persistence.db import Database
from runtime.temporal import connect
from tests.faults.outage_support import Sent, Stack
from workflows.messages import CaseSnapshot

SECRET_WORDS = ("select", "insert", "sqlalchemy", "psycopg", "traceback", "connection refused", "sqlite")


def check_problem_503(attempts) -> None:
    """Every 503 is problem+json with Retry-After and a German detail, and shows no internals."""
    for a in attempts:
        if a.status != 503:
            continue
        assert a.content_type.startswith("application/problem+json"), a
        assert a.retry_after and int(a.retry_after) > 0, a
        assert a.body["status"] == 503 and a.body["title"] == "Vorübergehend nicht verfügbar", a.body
        text = str(a.body).lower()
        assert not any(word in text for word in SECRET_WORDS), a.body


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


async def check_consistency(stack: Stack, log: list[Sent]) -> dict[str, int]:
    """Each wanted transition applied exactly once, with its requester, in order; read model == snapshot."""
    assert all(s.succeeded for s in log), [(s.comment, s.attempts[-1:]) for s in log if not s.succeeded]
    by_case: dict[str, list[Sent]] = defaultdict(list)
    for sent in log:
        by_case[sent.case_id].append(sent)
    client = await connect(stack.settings())
    db = Database(stack.database_url, pool_size=2)
    try:
        async with db.unit_of_work(read_only=True) as session:
            for case_id, wanted in by_case.items():
                events = list(
                    await session.scalars(
                        select(m.CaseEvent).where(m.CaseEvent.case_id == case_id).order_by(m.CaseEvent.sequence)
                    )
                )
                assert [e.sequence for e in events] == list(range(len(wanted) + 1)), (
                    case_id,
                    [e.sequence for e in events],
                )
                applied = [(e.trigger, e.actor, e.comment) for e in events[1:]]
                assert applied == [(s.trigger, s.actor, s.comment) for s in wanted], case_id
                case = await session.get(m.Case, case_id)
                snap = await client.get_workflow_handle(case.workflow_id).query("snapshot", result_type=CaseSnapshot)
                assert snap.sequence == case.version == len(wanted), (case_id, snap.sequence, case.version, len(wanted))
                assert (case.state, case.final, case.overdue) == (snap.state, snap.final, snap.overdue), case_id
                assert _instant(case.facts.get("clearingtermin")) == _instant(snap.facts.get("clearingtermin")), case_id
                assert case.facts.get("uebergabe") == snap.facts.get("uebergabe") == "warm", case_id
                expected = "clearing_terminiert" if len(wanted) > 1 else "clearing_offen"
                assert snap.state == expected, (case_id, snap.state)
                assert _instant(snap.facts.get("clearingtermin")) == _instant(wanted[-1].termin), case_id
            keys = [s.key for s in log]
            requests = list(
                await session.scalars(select(m.TransitionRequest).where(m.TransitionRequest.idempotency_key.in_(keys)))
            )
            assert sorted(r.idempotency_key for r in requests) == sorted(keys), "one request row per Idempotency-Key"
            assert all(r.status_code == 200 for r in requests)
    finally:
        await db.dispose()
    return {"cases": len(by_case), "transitions": len(log), "attempts": sum(len(s.attempts) for s in log)}
