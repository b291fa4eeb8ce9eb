"""The statements run on every transition and inbox page are Core statements: built from a
mapped class's attributes, a statement goes through the ORM's compile and result layers on
Session.execute (about 60 us more per call on SQLite) and still returns plain rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

from activities.cases import CASE_AND_HEAD, LETTER_CONTEXT
from api.usecases.actors import User
from api.usecases.case_commands import CASE_WITH_PERSON
from api.usecases.tasks import CASE_OPEN_TASKS, inbox_query
from persistence import audit
from persistence import models as m

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
JOBCOACH = User(user="jobcoach-1", roles=frozenset({"jobcoach"}))

STATEMENTS = {
    "the answer's open tasks": (CASE_OPEN_TASKS, {"b_case_id": "c-1"}),
    "the inbox": (inbox_query(JOBCOACH, status="offen", case_id=None, mine=False, overdue=None, limit=50, now=NOW), {}),
    "the inbox, filtered": (
        inbox_query(
            JOBCOACH, status="offen", case_id="c-1", mine=True, overdue=True, limit=5, now=NOW, process="neuantrag"
        ),
        {},
    ),
    "the case and its person": (CASE_WITH_PERSON, {"b_case_id": "c-1"}),
    "the audit trail's head": (audit.HEAD, {"case_id": "c-1"}),
    "the read-model row with its head": (CASE_AND_HEAD, {"case_id": "c-1"}),
    "a letter's history and person": (LETTER_CONTEXT, {"case_id": "c-1", "person_id": "p-1"}),
}


@pytest.fixture(scope="module")
def session():
    engine = create_engine("sqlite://")
    m.Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.mark.parametrize("name", list(STATEMENTS))
def test_hot_statement_is_core(session, name):
    seen = []
    listener = lambda state: seen.append(state.is_orm_statement)  # noqa: E731
    event.listen(session, "do_orm_execute", listener)
    try:
        statement, params = STATEMENTS[name]
        session.execute(getattr(statement, "statement", statement), params).all()  # a Prepared one's statement
    finally:
        event.remove(session, "do_orm_execute", listener)
    assert seen == [False], f"{name}: an ORM statement"
