"""Fahrplan transitions/s through the HTTP API against a bare Temporal workflow.

Drives N neuantrag cases through M transitions each via the HTTP API (C
requests in flight), and the same number of transitions through a bare
temporalio workflow (one update plus one activity each, bench/bare.py) on the
same development server in the same run. Prints both rates and latencies and,
on its last line, `ratio=<fahrplan/bare>`. The ratio is information, not a
test: a successful run exits 0 whatever it is.

    .venv/bin/python bench/transitions.py [--cases 50] [--transitions 10] [--concurrency 10]
        [--rounds 2] [--api subprocess|inprocess] [--db-file PATH | --in-memory] [--server-journal wal|delete]
        [--database-url URL]
        [--paths bare,fahrplan]

Everything it starts (Temporal dev server, API process, temporary files, a
fresh PostgreSQL database) is removed on exit, also on Ctrl-C.
"""

from __future__ import annotations

import sys
from pathlib import Path


def run() -> int:
    # Run as a script, this file's folder comes first on sys.path, and this file would shadow
    # the `transitions` library the state machines use: put the repo root there instead, then
    # import the bench (inside the function: nothing of the project is imported before the fix).
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(here.parent)] + [p for p in sys.path if Path(p or ".").resolve() not in (here, here.parent)]
    from bench.run_transitions import entry

    return entry()


if __name__ == "__main__":
    sys.exit(run())
