"""bench/paths.py: the `usecase` and `workflow` paths, which take the HTTP API away piece by piece,
run the same steps as the `fahrplan` path, and bench/run_transitions.py reads the paths to drive."""

from __future__ import annotations

import argparse

import pytest

from api.schemas.cases import CaseCreate
from api.usecases import UseCases
from api.usecases.actors import User
from bench.paths import PERSON, FahrplanPath, UseCasePath, WorkflowPath
from bench.run_transitions import _paths
from runtime import signing
from runtime.settings import Settings

STEPS = 3


def test_paths_are_read_in_output_order_and_unknown_ones_refused():
    assert _paths("fahrplan,bare") == ["bare", "fahrplan"]
    assert _paths("usecase, workflow,bare,fahrplan") == ["bare", "workflow", "usecase", "fahrplan"]
    for wrong in ("", "bare,http", "nackt"):
        with pytest.raises(argparse.ArgumentTypeError, match="choose of bare,workflow,usecase,fahrplan"):
            _paths(wrong)


async def test_usecase_and_workflow_paths_fire_the_fahrplan_paths_steps(client, sqlite_db, worker, tmp_path):
    settings = Settings(task_queue=worker.task_queue, data_dir=tmp_path, update_timeout_seconds=20)
    usecases = UseCases.build(sqlite_db, client, settings)
    egs = User(user="bench-egs", roles=frozenset({"egs"}))
    body = CaseCreate(process="neuantrag", person=PERSON, facts={"antragsweg": "persoenlich"})
    paths = {
        "usecase": UseCasePath(None, None, client, usecases.cases),
        "workflow": WorkflowPath(None, None, client, signing.keys_from_settings(settings)),
    }
    steps = [FahrplanPath.step(i)[0] for i in range(STEPS)]
    reader = User(user="leser", roles=frozenset({"egs", "jobcoach"}))
    for name, path in paths.items():
        case_id = (await usecases.cases.create(body, egs, None)).case_id
        for i in range(STEPS):
            await path.fire(case_id, i)
        events = (await usecases.case_reads.events(case_id, reader))[1:]  # after the case's start
        assert [e.trigger.name for e in events] == steps, name
        assert (await usecases.case_reads.read(case_id, reader)).state.name == "clearing_terminiert", name
        # The use case writes the request row with its actor; the bare update has none.
        expected = ["bench-egs", *["bench-jobcoach"] * (STEPS - 1)] if name == "usecase" else ["unbekannt"] * STEPS
        assert [e.actor for e in events] == expected, name
