"""Garbage-collector settings for the long-running processes (worker, API, `fahrplan up`).

After start-up, the heap holds hundreds of thousands of long-lived objects (modules, the
Temporal protobuf classes, pydantic and SQLAlchemy caches, the declarations). A full
collection walks all of them, which shows as a latency spike of tens of milliseconds on
whatever request it interrupts. `settle()` moves everything alive at that moment out of the
collector's reach (`gc.freeze`, objects are still freed by reference counting) and lets the
young generation grow larger between collections, so short-lived garbage (a request's dicts,
protobufs, rows) is collected less often. Cyclic garbage is still collected.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000  # allocations before a young collection (CPython default: 700 / 2,000 in 3.13)


def settle() -> None:
    """Call once start-up is done (imports, app or worker built); calling again is harmless."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
