"""GET /tasks writes its rows to JSON as dicts (api/usecases/tasks.py `list_json`): the bytes
must be those of the TaskPublic models it documents, for every kind of row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from pydantic import TypeAdapter
from pydantic_core import to_json

from api.schemas.tasks import TaskPublic
from api.usecases.tasks import task_fields, task_public

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def row(**changes):
    base = {
        "id": 7,
        "case_id": "c-1",
        "kind": "clearingtermin",
        "role": "jobcoach",
        "title": "Clearinggespräch führen (R2)",
        "priority": 1,
        "due": (NOW + timedelta(days=2)).replace(tzinfo=None),  # as SQLite returns it: naive UTC
        "status": "offen",
        "assignee": None,
        "created_at": NOW.replace(tzinfo=None),
        "vorrang": False,
        "ref": None,
        "closed_at": None,
        "closed_by": None,
    }
    return SimpleNamespace(**(base | changes))


ROWS = [
    row(),
    row(id=8, due=NOW - timedelta(hours=1), vorrang=True, assignee="jobcoach-1"),  # overdue, aware
    row(id=9, status="erledigt", closed_at=NOW, closed_by="jobcoach-1", due=NOW - timedelta(days=3)),
    row(id=10, case_id=None, ref="sitzung:42", role="jobcoach", title="Sitzung vorbereiten"),
    row(id=11, case_id=None, ref=None),
]


def test_task_rows_as_json_equal_the_models_dumped():
    models = TypeAdapter(list[TaskPublic]).dump_json([task_public(r, NOW) for r in ROWS])
    assert to_json([task_fields(r, NOW) for r in ROWS]) == models
    assert b'"overdue":true' in models and b'"overdue":false' in models
