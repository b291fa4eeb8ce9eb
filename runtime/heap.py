"""Garbage-collector set-up for the long-running processes (worker, API, `fahrplan up`).

After start-up, the heap holds hundreds of thousands of long-lived objects (modules, the
Temporal protobuf classes, pydantic and SQLAlchemy caches, the declarations). A full
collection walks all of them, which shows as a pause of tens of milliseconds on whatever
request it interrupts. `settle()` moves everything alive at that moment out of the
collector's reach (`gc.freeze`; reference counting still frees them). The thresholds stay
CPython's: collecting less often let the cyclic garbage of evicted workflows pile up
(the worker grew past 500 MB at 2,500 cases in bench/scale.py instead of levelling off).
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Call once start-up is done (imports, app or worker built); calling again is harmless."""
    gc.collect()
    gc.freeze()
