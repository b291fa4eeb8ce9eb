"""The database of the settings, opened with the audit chain's keys: what worker, API, `fahrplan up`
and the audit commands use instead of `Database(url)` (which could not append an audit event).

It lives here, not in runtime/, because runtime depends on nothing but the pure statemachines
(tests/test_import_layers.py); persistence may use runtime's settings and key files."""

from __future__ import annotations

from typing import Any

from persistence.audit import ChainKeys
from persistence.db import Database
from runtime.audit_keys import chain_keys
from runtime.settings import Settings


def open_database(settings: Settings, url: str | None = None, **options: Any) -> Database:
    """`url` overrides the settings' database (e.g. `fahrplan audit verify --database-url`)."""
    return Database(url or settings.db_url, audit_keys=ChainKeys(*chain_keys(settings)), **options)
