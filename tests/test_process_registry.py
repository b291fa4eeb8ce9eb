"""Every process's I/O extensions (activities/registry.py) fit its declaration and reach the worker:
each `prepare` a trigger names is an activity the worker registers under that name, nothing is
registered that no trigger uses, each API converter belongs to a declared trigger that accepts
other data than its payload (`api_payload`) and every such trigger has one."""

from __future__ import annotations

import pytest
from temporalio import activity

from activities import all_activities
from activities.registry import REGISTRY, converter, record_hooks
from persistence.db import Database
from statemachines.registry import PROCESSES
from worker.main import build_worker


def _name(fn) -> str:
    definition = activity._Definition.from_callable(fn)
    assert definition is not None, f"{fn} is not an activity"
    return definition.name


@pytest.fixture
def db(tmp_path):
    return Database(f"sqlite:///{tmp_path}/registry.db")


def test_registry_has_one_entry_per_declared_process():
    assert set(REGISTRY) == set(PROCESSES)
    assert all(io.process == name for name, io in REGISTRY.items())


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_prepare_activities_are_the_declared_ones_under_their_names(process, db):
    declared = {t.prepare for t in PROCESSES[process].triggers if t.prepare}
    io = REGISTRY[process]
    assert set(io.prepare) == declared, f"{process}: registry {sorted(io.prepare)}, declaration {sorted(declared)}"
    for name, build in {**io.prepare, **io.activities}.items():
        assert _name(build(db)) == name


@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_converters_belong_to_triggers_that_take_other_data(process):
    declaration, io = PROCESSES[process], REGISTRY[process]
    for trigger in io.converters:
        assert declaration.has_trigger(trigger), f"{process}: converter for undeclared trigger {trigger}"
        assert not declaration.trigger(trigger).timer_only, f"{process}.{trigger}: no request to convert"
    converted = {t.name for t in declaration.triggers if t.api_payload is not None}
    assert set(io.converters) == converted
    assert all(converter(process, t) is io.converters[t] for t in converted)


async def test_worker_registers_every_activity_a_workflow_names(client, db):
    names = {_name(fn) for fn in all_activities(db)}
    prepared = {t.prepare for p in PROCESSES.values() for t in p.triggers if t.prepare}
    further = {name for io in REGISTRY.values() for name in io.activities}
    # record_transition, find_lost_step and check_child_end serve every process (workflows/effects.py)
    assert names == {"record_transition", "find_lost_step", "check_child_end"} | prepared | further
    worker = build_worker(client, db, "tq-registry")  # the production worker accepts them (unique names)
    assert worker.task_queue == "tq-registry"


def test_record_hooks_are_of_declared_processes():
    hooks = record_hooks()
    assert set(hooks) <= set(PROCESSES)
    # the plan versions, the R54 letter, the regime and periods in the letters of R64–R67
    assert set(hooks) == {"kooperationsplan", "schlichtung", "meldetermin", "minderung"}
