"""Fahrplan at scale: 10,000 open cases across all processes.

Starts a file-backed Temporal development server with its UI, the worker and the
API each as their own OS process (`fahrplan worker`, `fahrplan api`), creates N
open cases through the HTTP API (neuantrag, rechtskreiswechsel, kooperationsplan
with some Schlichtung children, gruppencoaching; moved a step or two so they sit
in several states), then measures

1. the worker's memory (VmRSS, VmHWM) once all cases are open and idle, and after
   a pass that queries and transitions a sample of them;
2. `GET /api/v1/cases?state=...` (with and without process) against the same
   statement (page and count in one) run directly on the database (SQLAlchemy Core);
3. Temporal visibility: list_workflows (first page) and count_workflows on a
   FahrplanState query, and the UI's own workflow list API;
4. `fahrplan reconcile` over every case, one comparison at a time against several
   at a time (worker/reconcile.py PARALLEL).

    .venv/bin/python bench/scale.py [--cases 10000] [--concurrency 8] [--database-url URL]
        [--samples 300] [--max-cached N]

Last line: `ratio=<API p99 / database p99>` over all list queries, the database side
building its statement per call (the summary also shows the ratio to executing the API's
prebuilt statement alone). Information,
not a test: a run that completes exits 0. Everything it starts is stopped on exit.
"""

from __future__ import annotations

import sys
from pathlib import Path


def run() -> int:
    # As in transitions.py: this folder must not shadow the `transitions` library the state machines
    # use, so the repo root goes first on sys.path before anything of the project is imported.
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(here.parent)] + [p for p in sys.path if Path(p or ".").resolve() not in (here, here.parent)]
    from bench.run_scale import entry

    return entry()


if __name__ == "__main__":
    sys.exit(run())
