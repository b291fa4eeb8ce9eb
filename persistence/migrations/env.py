"""Alembic environment: sync drivers only (sqlite, postgresql+psycopg).

`persistence.migrate.upgrade(url)` passes the URL (or an open connection) in
`config.attributes`; the plain `alembic -c persistence/alembic.ini` CLI reads
`sqlalchemy.url` from the ini or `-x url=…`.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, create_engine
from sqlalchemy.pool import NullPool

from persistence.db import configure_sqlite, sync_url
from persistence.models import Base

config = context.config
target_metadata = Base.metadata

# Called from application code (worker, API, tests) logging is the caller's: leave it alone.
if config.config_file_name and not config.attributes.get("programmatic"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    url = url or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: use persistence.migrate.upgrade(url) or alembic -x url=…")
    return sync_url(url).render_as_string(hide_password=False)


def _configure(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=sqlite,  # SQLite alters tables by copying them
        transactional_ddl=True,  # SQLite too: configure_sqlite begins every transaction explicitly
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = create_engine(_url(), poolclass=NullPool)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    try:
        with engine.connect() as connection:
            _configure(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
