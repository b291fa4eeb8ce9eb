"""People, inbox and Fallakte at 50,000 open cases (issue 15 item 10).

Seeds a fresh database directly (SQLAlchemy Core bulk inserts, the shapes the API writes):
N people with German names (umlauts included), one open case each (neuantrag, kooperationsplan,
gruppencoaching), one open task per case spread over the roles that work on them, a Vermerk
on every fifth case. No workflows: every measured read is a read of the database (the read
model), so the cases need no running workflows. Then starts the API as its own process (against
a Temporal dev server it only connects to) and measures, each through the API and as the same
SQL statement run directly on the database in the same run:

1. `GET /people?q=...` (name prefixes with and without umlauts, date of birth, Kundennummer);
2. `GET /tasks` for the Jobcoach, the EGS and the IFK (the inbox's first 100);
3. `GET /people/{id}` (Fallakte) p50/p99, API only.

    .venv/bin/python bench/people.py [--cases 50000] [--samples 200] [--database-url URL]

Last line: `ratio=<API p99 / database p99>` over the search and inbox queries (target <= 3).
"""

from __future__ import annotations

import sys
from pathlib import Path


def run() -> int:
    # As in scale.py: the repo root goes first on sys.path before anything of the project is imported.
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(here.parent)] + [p for p in sys.path if Path(p or ".").resolve() not in (here, here.parent)]
    from bench.run_people import entry

    return entry()


if __name__ == "__main__":
    sys.exit(run())
