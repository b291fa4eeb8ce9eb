"""Database fixtures over both backends: a fresh SQLite file and a fresh PostgreSQL database.

Registered for every test in tests/conftest.py (pytest_plugins). PostgreSQL
is part of the test matrix, not optional: when it does not answer, the tests fail.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import make_url

from persistence import models as m
from persistence.audit import ChainKeys
from persistence.db import Database
from persistence.migrate import upgrade

__all__ = [
    "TEST_AUDIT_ENV",
    "TEST_AUDIT_KEY",
    "TEST_AUDIT_KEYS",
    "add_person",
    "database",
    "database_url",
    "postgres_admin_url",
    "postgres_database",
]

# Tests only: a fixed, public audit chain key (like runtime.temporal.TEST_KEY for payloads).
TEST_AUDIT_KEY_ID = "test-nicht-geheim"
TEST_AUDIT_KEY = hashlib.sha256(b"fahrplan audit test key").digest()
TEST_AUDIT_KEYS = ChainKeys({TEST_AUDIT_KEY_ID: TEST_AUDIT_KEY}, TEST_AUDIT_KEY_ID)
# The same key for a `fahrplan` subprocess, through its settings.
TEST_AUDIT_ENV = {"FAHRPLAN_AUDIT_KEYS": json.dumps({TEST_AUDIT_KEY_ID: base64.b64encode(TEST_AUDIT_KEY).decode()})}

POSTGRES_ADMIN_URL = os.environ.get("FAHRPLAN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """Where test databases are created (override with FAHRPLAN_TEST_POSTGRES)."""
    return POSTGRES_ADMIN_URL


def _admin_connection(admin_url: str) -> psycopg.Connection:
    libpq_url = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        return psycopg.connect(libpq_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL is not reachable at {admin_url} (set FAHRPLAN_TEST_POSTGRES): {error}", pytrace=False)


@pytest.fixture
def postgres_database(postgres_admin_url: str) -> Iterator[str]:
    """A uniquely named, empty PostgreSQL database, dropped afterwards; yields its URL."""
    name = f"fahrplan_test_{uuid.uuid4().hex[:16]}"
    with _admin_connection(postgres_admin_url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin_connection(postgres_admin_url) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The URL of a fresh, migrated database on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fahrplan.db'}"
    else:
        url = request.getfixturevalue("postgres_database")
    upgrade(url)
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url, audit_keys=TEST_AUDIT_KEYS)
    try:
        yield db
    finally:
        await db.dispose()


async def add_person(db: Database, **overrides) -> str:
    """A person with a German address; returns the person id."""
    values = {
        "person_id": str(uuid.uuid4()),
        "vorname": "Erika",
        "nachname": "Mustermann",
        "geburtsdatum": date(1985, 4, 12),
        "strasse": "Hagener Straße 12",
        "plz": "58285",
        "ort": "Gevelsberg",
        "created_at": datetime(2025, 1, 6, 9, 0, tzinfo=UTC),
    } | overrides
    async with db.unit_of_work() as session:
        session.add(m.Person(**values))
    return values["person_id"]
