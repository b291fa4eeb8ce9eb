"""Latency of one Fahrplan transition through the HTTP API against one bare Temporal update.

p50 and p99 of the client-side wall time of ONE request: `POST
/api/v1/cases/{id}/transitions` against `execute_update` on a bare workflow whose
update runs one activity (bench/bare.py), at 1 and at 20 concurrent clients, on
the same Temporal development server in the same run. Prints both per level, with each
step's p50/p99, the spread p99/p50, which steps the slowest 1 % fall in and the server's time per
transition (with --also, the same for the workflow and use-case paths of bench/paths.py), and
on its last line `ratio=<the worse level's median of the rounds' fahrplan/bare p99 ratios>`.
Information, not a test: a run that completes exits 0 whatever the ratio.

    .venv/bin/python bench/latency.py [--samples N] [--rounds 10]
        [--in-memory | --db-file PATH] [--server-journal wal|delete] [--database-url URL]
        [--bare-variant pad=N,search-attributes,state-changes=K] [--also workflow,usecase]

The environment is the one of bench/transitions.py (bench/environment.py): the
dev server (file-backed by default, like `make run`), a fresh SQLite or
PostgreSQL database, the API in its own process, worker and clients in this one.
"""

from __future__ import annotations

import sys
from pathlib import Path


def run() -> int:
    # As in transitions.py: this folder must not shadow the `transitions` library the state machines
    # use, so the repo root goes first on sys.path before anything of the project is imported.
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(here.parent)] + [p for p in sys.path if Path(p or ".").resolve() not in (here, here.parent)]
    from bench.run_latency import entry

    return entry()


if __name__ == "__main__":
    sys.exit(run())
