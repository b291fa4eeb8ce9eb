"""Every process's I/O extensions (activities/extensions.py), one `ProcessIO` per process: what
the worker registers, what record_transition hooks in and what the API converts. A test
(tests/test_process_registry.py) checks them against the declarations."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from activities.extensions import PayloadConverter, ProcessIO, RecordHook
from activities.gruppencoaching import GRUPPENCOACHING_IO
from activities.kooperationsplan import KOOPERATIONSPLAN_IO, SCHLICHTUNG_IO
from activities.minderung import MELDETERMIN_IO, MINDERUNG_IO
from activities.rechtskreiswechsel import RECHTSKREISWECHSEL_IO
from persistence.db import Database

REGISTRY: Mapping[str, ProcessIO] = {
    io.process: io
    for io in (
        ProcessIO("neuantrag"),  # no I/O beyond record_transition
        GRUPPENCOACHING_IO,
        KOOPERATIONSPLAN_IO,
        SCHLICHTUNG_IO,
        RECHTSKREISWECHSEL_IO,
        MELDETERMIN_IO,
        MINDERUNG_IO,
    )
}


def record_hooks() -> dict[str, RecordHook]:
    return {name: io.record_hook for name, io in REGISTRY.items() if io.record_hook}


def converter(process: str, trigger: str) -> PayloadConverter | None:
    io = REGISTRY.get(process)
    return io.converters.get(trigger) if io else None


def process_activities(db: Database) -> dict[str, Callable[..., Any]]:
    """Every process's prepare and further activities by name, each once (processes may share one)."""
    found: dict[str, Callable[..., Any]] = {}
    for io in REGISTRY.values():
        for name, build in {**io.prepare, **io.activities}.items():
            if name not in found:
                found[name] = build(db)
    return found
