"""The read model's figures for the metrics endpoints (runtime/metrics.py): counts only, grouped
by process, state and role; nothing about a person."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from persistence import models as m
from runtime.metrics import Figures

_cases, _tasks, _letters = m.Case.__table__, m.Task.__table__, m.Notification.__table__
_policies = m.StoredPolicy.__table__
OPEN_CASES = (
    select(_cases.c.process, _cases.c.state, _policies.c.regime, _cases.c.overdue, func.count())
    .select_from(_cases.outerjoin(_policies, _policies.c.policy_id == _cases.c.policy_id))
    .where(_cases.c.final.is_(False))
    .group_by(_cases.c.process, _cases.c.state, _policies.c.regime, _cases.c.overdue)
)
OPEN_TASKS = select(_tasks.c.role, func.count()).where(_tasks.c.status == "offen").group_by(_tasks.c.role)
PENDING_LETTERS = select(func.count()).select_from(_letters).where(_letters.c.status == "ausstehend")


def read_model_figures(session: Session) -> Figures:
    figures = Figures()
    for process, state, regime, overdue, count in session.execute(OPEN_CASES):
        key = (process, state, regime or "")
        figures.open_cases[key] = figures.open_cases.get(key, 0) + count
        if overdue:
            figures.overdue_cases[key] = figures.overdue_cases.get(key, 0) + count
    figures.inbox = dict(session.execute(OPEN_TASKS).all())
    figures.letters_pending = session.execute(PENDING_LETTERS).scalar_one()
    return figures
