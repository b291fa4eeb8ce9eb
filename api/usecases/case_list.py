"""The list of cases: the page of case summaries a caller may read, and its total.

One statement per reader scope and set of filters, built once: the summary's columns of one page,
newest change first, each row carrying the total of all matching rows (a scalar count subquery);
filter values, limit and offset are bound at execution. The JSON face writes the page once,
without models (`CaseListPage.json`). bench/scale.py runs the same SQL on its database side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from api.schemas.cases import CaseSummary, Page
from api.usecases import access, views
from api.usecases.actors import User
from persistence import models as m
from persistence.db import Database

_listed = m.Case.__table__.c
LIST_FILTERS = {  # query parameter -> condition
    "process": _listed.process == bindparam("process"),
    "state": _listed.state == bindparam("state"),
    "overdue": _listed.overdue == bindparam("overdue"),
    "deadline_before": _listed.deadline < bindparam("deadline_before"),
    "regime": _listed.regime == bindparam("regime"),  # R61; cases from before 0010 have none
}
_list_statements: dict[tuple, tuple] = {}  # (access.scope_key, filters given) -> (page, count)


def case_list_query(user: User, filters: Mapping[str, Any], limit: int, offset: int) -> tuple:
    """(page, count, params) for GET /cases. `page` selects the summary columns of one page, newest
    change first, each row with the `total` of all matching rows; `count` is that total alone (for a
    page past the end). Filters that are None are left out. bench/scale.py runs the same SQL."""
    given = tuple(name for name in LIST_FILTERS if filters.get(name) is not None)
    key = (access.scope_key(user), given)
    statements = _list_statements.get(key)
    if statements is None:
        where = (access.scope(user, _listed.case_id, _listed.process), *(LIST_FILTERS[name] for name in given))
        count = select(func.count()).select_from(m.Case.__table__).where(*where)
        page = (
            select(
                _listed.case_id,
                _listed.process,
                _listed.state,
                _listed.overdue,
                _listed.deadline,
                _listed.final,
                _listed.version,
                _listed.updated_at,
                count.scalar_subquery().label("total"),
            )
            .where(*where)
            .order_by(_listed.updated_at.desc(), _listed.case_id)
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
        )
        if len(_list_statements) >= 1000:  # participants each have a scope of their own
            _list_statements.clear()
        statements = _list_statements[key] = (page, count)
    return (*statements, {name: filters[name] for name in given} | {"limit": limit, "offset": offset})


@dataclass(frozen=True)
class CaseListPage:
    """One page: rows with the summary's columns in CaseSummary's order (then the total)."""

    rows: Sequence[Any]
    total: int
    limit: int
    offset: int

    def json(self) -> bytes:
        """The JSON of Page[CaseSummary], written once without models (the same bytes FastAPI writes)."""
        return views.case_page_json(self.rows, self.total, self.limit, self.offset)

    def page(self) -> Page[CaseSummary]:
        return Page[CaseSummary](
            items=[views.case_summary(row) for row in self.rows], total=self.total, limit=self.limit, offset=self.offset
        )


async def page(db: Database, user: User, filters: Mapping[str, Any], limit: int, offset: int) -> CaseListPage:
    """The page the caller may read; filters that are None are not applied."""
    statement, count, params = case_list_query(user, filters, limit, offset)

    def read(session: Session) -> CaseListPage:
        rows = session.execute(statement, params).all()
        # A page past the end has no row to carry the total.
        total = rows[0].total if rows else (session.scalar(count, params) if offset else 0)
        return CaseListPage(rows, total, limit, offset)

    return await db.run(read, read_only=True)
