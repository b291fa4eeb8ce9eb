"""Workbench render times at 10,000 cases: `python bench/pages.py` (bench/run_pages.py)."""

from __future__ import annotations

import sys
from pathlib import Path


def run() -> None:
    # Run as a script, this folder comes first on sys.path and bench/http.py would shadow the
    # standard library's http: put the repo root there instead, then import the bench.
    here = Path(__file__).resolve().parent
    sys.path[:] = [str(here.parent)] + [p for p in sys.path if Path(p or ".").resolve() not in (here, here.parent)]
    import asyncio

    from bench.run_pages import main

    asyncio.run(main())


if __name__ == "__main__":
    run()
