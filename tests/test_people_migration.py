"""Migration 0011 on SQLite and PostgreSQL: people recorded before it get Kundennummern in the
order they were created and search keys; the counter continues after them; going back down keeps
every case's person."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from persistence.db import sync_url
from persistence.migrate import alembic_config, upgrade

PEOPLE = [  # (person_id, vorname, nachname, created_at) as written before 0011
    ("p-2", "Zoë", "Öztürk", "2025-01-07 09:00:00"),
    ("p-1", "Jürgen", "Köhler-Süß", "2025-01-06 09:00:00"),
    ("p-3", "Anna", "Weiß", "2025-01-08 09:00:00"),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fahrplan.db'}"
    return request.getfixturevalue("postgres_database")


def _run(url: str, statement: str, params: dict | None = None) -> list:
    engine = create_engine(sync_url(url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(statement), params or {})
            return result.all() if result.returns_rows else []
    finally:
        engine.dispose()


def test_migration_0011_numbers_existing_people_and_goes_back_down(empty_url):
    config = alembic_config(empty_url)
    command.upgrade(config, "0010")
    for pid, vorname, nachname, created in PEOPLE:
        _run(
            empty_url,
            "INSERT INTO people (person_id, vorname, nachname, created_at) VALUES (:p, :v, :n, :c)",
            {"p": pid, "v": vorname, "n": nachname, "c": created},
        )
        _run(
            empty_url,
            "INSERT INTO cases (case_id, process, state, person_id, facts, deadlines, overdue, final, version, "
            "workflow_id, links, created_at, updated_at) VALUES (:c, 'neuantrag', 'antrag_eingegangen', :p, '{}', "
            "'{}', false, false, 0, :w, '{}', :t, :t)",
            {"c": f"c-{pid}", "p": pid, "w": f"neuantrag-c-{pid}", "t": created},
        )
    command.upgrade(config, "0011")
    rows = _run(empty_url, "SELECT person_id, kundennummer, vorname_suche, nachname_suche FROM people ORDER BY 2")
    assert [tuple(r) for r in rows] == [
        ("p-1", "00000001", "juergen", "koehlersuess"),
        ("p-2", "00000002", "zoe", "oeztuerk"),
        ("p-3", "00000003", "anna", "weiss"),
    ]
    assert _run(empty_url, "SELECT value FROM counters WHERE name = 'kundennummer'")[0][0] == 3
    command.downgrade(config, "0010")
    assert sorted(r[0] for r in _run(empty_url, "SELECT person_id FROM cases")) == ["p-1", "p-2", "p-3"]
    upgrade(empty_url)
