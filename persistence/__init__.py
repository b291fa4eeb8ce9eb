"""Persistence: every model module is imported here so that Base.metadata (Alembic, tests) sees all tables."""

from persistence import (
    arbeitgeber,  # noqa: F401  (ags_kontakte, ags_gespraeche)
    gruppencoaching,  # noqa: F401  (gc_sitzungen, gc_buchungen)
    kooperationsplan,  # noqa: F401  (plan_versions)
    rechtskreiswechsel,  # noqa: F401  (infoveranstaltungen, infoveranstaltung_buchungen)
    staff,  # noqa: F401  (staff)
    teilnehmendenzugang,  # noqa: F401  (teilnehmendenzugaenge)
    vermerke,  # noqa: F401  (vermerke)
)
