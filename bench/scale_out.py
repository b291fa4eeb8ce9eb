"""Scale-out on PostgreSQL: one worker + one API against two workers + two APIs, in the same run.

Starts one Temporal dev server and a fresh PostgreSQL database; then (a) one `fahrplan worker`
and one `fahrplan api` process, (b) two of each on one task queue, and drives N neuantrag cases
x M transitions (C in flight) through the API(s), split evenly over both APIs in (b). Prints both
rates, the CPU seconds of each process kind (Temporal server, workers, APIs, load generator)
and, on its last line, `ratio=<two/one>` (target >= 1.5; information, not a test).

    .venv/bin/python bench/scale_out.py --database-url postgresql://postgres@127.0.0.1:5432/test
        [--cases 100] [--transitions 10] [--concurrency 20] [--rounds 1]

Everything it starts (dev server, worker and API processes, temp files, the database) is
removed on exit, also on Ctrl-C.
"""

from __future__ import annotations

import sys
from pathlib import Path


def run() -> int:
    # As in transitions.py: this folder must not shadow the `transitions` library (nor `http.py` the
    # standard library), so the repo root goes first on sys.path before the project is imported.
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(here.parent)] + [p for p in sys.path if Path(p or ".").resolve() not in (here, here.parent)]
    from bench.run_scale_out import entry

    return entry()


if __name__ == "__main__":
    sys.exit(run())
