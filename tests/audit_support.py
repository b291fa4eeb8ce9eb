"""`fahrplan audit verify` as a subprocess against a test database and the tests' Temporal server:
the tests' audit key and payload key through its settings, a data dir of its own."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sqlite3
import sys
from pathlib import Path

from sqlalchemy import select, text
from temporalio.client import Client

from persistence import audit
from persistence import models as m
from persistence.audit import ChainKeys
from persistence.db import Database
from runtime.temporal import TEST_KEY, TEST_KEY_ID
from tests.dbfixtures import TEST_AUDIT_ENV

FAHRPLAN = str(Path(sys.executable).with_name("fahrplan"))
SQLITE_TRIGGERS = (
    "case_events_no_update",
    "case_events_no_delete",
    "erasures_no_update",
    "erasures_no_delete",
    "vermerke_no_update",
    "vermerke_no_delete",
)


async def tamper(db: Database, *statements: str) -> None:
    """What only an administrator can do: bypass the triggers (and foreign keys) and change tables.
    SQLite: the file opened with the sqlite3 module, as `sqlite3 fahrplan.db` would (foreign keys
    off); PostgreSQL: session_replication_role = replica (needs a superuser)."""
    if db.backend == "sqlite":

        def run() -> None:
            connection = sqlite3.connect(db.url.database, isolation_level=None, timeout=5)
            try:
                connection.execute("BEGIN IMMEDIATE")
                for trigger in SQLITE_TRIGGERS:
                    connection.execute(f"DROP TRIGGER IF EXISTS {trigger}")
                for statement in statements:
                    connection.execute(statement)
                connection.execute("COMMIT")
            finally:
                connection.close()

        await asyncio.to_thread(run)
        return
    async with db.engine.begin() as connection:
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            await connection.execute(text(statement))


async def rehash_with_key(db: Database, case_id: str, start: int, change: str, keys: ChainKeys) -> None:
    """Change event `start` of the case (`column=value`) and rehash it and every later event under
    the real key, as an attacker holding the key would: the chain in the database is valid again
    and only the workflow's head digest (worker/audit_anchors.py) can tell."""
    async with db.unit_of_work(read_only=True) as session:
        events = list(
            await session.scalars(
                select(m.CaseEvent).where(m.CaseEvent.case_id == case_id).order_by(m.CaseEvent.sequence)
            )
        )
    column, value = change.split("=")
    statements, prev = [], events[start - 1].hash if start else audit.GENESIS
    for event in events[start:]:
        row = {c.name: getattr(event, c.name) for c in m.CaseEvent.__table__.columns}
        if event.sequence == start:
            row[column] = value
        digest = keys.seal(row, prev, row["key_id"])
        statements.append(
            f"UPDATE case_events SET {column} = '{row[column]}', prev_hash = '{prev}', hash = '{digest}' "
            f"WHERE id = {event.id}"
        )
        prev = digest
    await tamper(db, *statements)


def temporal_env(client: Client) -> dict[str, str]:
    return {
        "FAHRPLAN_TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "FAHRPLAN_TEMPORAL_NAMESPACE": client.namespace,
        "FAHRPLAN_CODEC_KEYS": json.dumps({TEST_KEY_ID: base64.b64encode(TEST_KEY).decode()}),
    }


async def fahrplan(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """`fahrplan ARGS` as a process with the tests' audit key (and `env`): exit code and output."""
    process = await asyncio.create_subprocess_exec(
        FAHRPLAN,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=os.environ | TEST_AUDIT_ENV | (env or {}),
    )
    out, _ = await process.communicate()
    return process.returncode, out.decode()


async def fahrplan_verify(
    database_url: str, data_dir: Path, client: Client | None = None, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """Exit code and output; without `client` the run is `--ohne-temporal`."""
    env = {"FAHRPLAN_DATA_DIR": str(data_dir)} | (temporal_env(client) if client else {}) | (env or {})
    flags = () if client else ("--ohne-temporal",)
    return await fahrplan("audit", "verify", "--database-url", database_url, *flags, env=env)
