"""Persistence: every model module is imported here so that Base.metadata (Alembic, tests) sees all tables."""

from persistence import gruppencoaching  # noqa: F401  (gc_sitzungen, gc_buchungen)
from persistence import kooperationsplan  # noqa: F401  (plan_versions)
from persistence import rechtskreiswechsel  # noqa: F401  (infoveranstaltungen, infoveranstaltung_buchungen)
