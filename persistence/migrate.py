"""Bring a database to the newest schema: `upgrade(url)` is `alembic upgrade head`.

The Alembic configuration ships inside this package, so it works from any
working directory and from an installed wheel. Run it by hand with
`python -m persistence.migrate sqlite:///var/fahrplan.db`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from persistence.db import private_sqlite_file

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


def alembic_config(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    # The URL travels as an attribute: configparser would choke on a "%" in a password.
    config.attributes["url"] = str(url)
    config.attributes["programmatic"] = True
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Migrate the database at `url` (sqlite:///… or postgresql://…) to `revision`."""
    private_sqlite_file(url, create_directory=True)  # 0600 (0700) before Alembic's engine opens it
    command.upgrade(alembic_config(url), revision)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m persistence.migrate DATABASE_URL")
    upgrade(args[0])


if __name__ == "__main__":
    main()
