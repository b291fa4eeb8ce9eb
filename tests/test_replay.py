"""Replay every recorded history (tests/histories, `make histories`) against the current
workflow code: a change that alters the commands a running case already produced fails here.
See README "Replay tests and safe changes"."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner
from temporalio.workflow import NondeterminismError

from statemachines import PROCESSES
from tests.histories import HERE, converter, coverage, history_files, load, replay_workflows
from tests.histories.variants import (
    KooperationsplanIgnoringPatches,
    NeuantragIgnoringPatches,
    NeuantragWithExtraTimer,
    NeuantragWithPatchedTimer,
    RechtskreiswechselIgnoringPatches,
)
from workflows import effects, host, patches
from workflows.processes import WORKFLOWS
from workflows.runner import workflow_runner

FILES = history_files()
NEUANTRAG = HERE / "neuantrag" / "gruppencoaching_ifk.json"
PERSONAL = ("vorname", "nachname", "geburtsdatum", "anschrift", "strasse", "Erika", "Mustermann")


def _replayer(workflows: list[type], **options) -> Replayer:
    # debug_mode turns off the SDK's 2-second deadlock detector: on a loaded 2-core machine the
    # first replay (importing the sandboxed modules) took longer than that and failed as a
    # "deadlock". Nondeterminism is what these tests look for, and it is still reported.
    return Replayer(workflows=workflows, data_converter=converter(), debug_mode=True, **options)


def _with_neuantrag(variant: type) -> Replayer:
    """The changed workflow in place of the real one; the sandbox is left out for speed (it
    plays no part in matching commands to the history)."""
    others = [w for name, w in WORKFLOWS.items() if name != "neuantrag"]
    return _replayer([variant, *others], workflow_runner=UnsandboxedWorkflowRunner())


async def _histories(files) -> AsyncIterator[WorkflowHistory]:
    for path in files:
        yield load(path)


def test_histories_recorded_for_every_workflow_type():
    kinds = {load(p).events[0].workflow_execution_started_event_attributes.workflow_type.name for p in FILES}
    assert set(WORKFLOWS) <= kinds, f"no history for {set(WORKFLOWS) - kinds}: run `make histories`"
    assert len(FILES) >= 2 * len(PROCESSES)


async def _failures(replayer: Replayer, files) -> dict[str, Exception]:
    """Replay the files; each failure by file name."""
    names = {load(p).run_id: p.relative_to(HERE).as_posix() for p in files}
    assert len(names) == len(files)
    results = await replayer.replay_workflows(_histories(files), raise_on_replay_failure=False)
    return {names[run_id]: error for run_id, error in results.replay_failures.items()}


def _of_type(kind: str) -> list:
    return [
        p for p in FILES if load(p).events[0].workflow_execution_started_event_attributes.workflow_type.name == kind
    ]


async def test_replay_every_recorded_history_without_nondeterminism():
    failed = await _failures(_replayer(replay_workflows()), FILES)
    assert not failed, "replay failed (the workflow code no longer matches running cases):\n" + "\n".join(
        f"{name}: {type(error).__name__}: {error}" for name, error in sorted(failed.items())
    )


async def test_replay_every_recorded_history_as_the_unsandboxed_production_worker_runs_it():
    """The production worker runs workflows without the sandbox (workflows/runner.py): the same
    code must make the same decisions there."""
    failed = await _failures(_replayer(replay_workflows(), workflow_runner=workflow_runner(False)), FILES)
    assert not failed, "\n".join(f"{name}: {type(error).__name__}: {error}" for name, error in sorted(failed.items()))


async def test_replay_fails_with_nondeterminism_for_an_unguarded_extra_timer():
    neuantrag = _of_type("neuantrag")
    failed = await _failures(_with_neuantrag(NeuantragWithExtraTimer), neuantrag)
    assert sorted(failed) == sorted(p.relative_to(HERE).as_posix() for p in neuantrag)
    assert all(isinstance(error, NondeterminismError) for error in failed.values()), failed
    assert "Nondeterminism" in str(failed[NEUANTRAG.relative_to(HERE).as_posix()])


async def test_replay_passes_for_the_same_timer_behind_workflow_patched():
    neuantrag = _of_type("neuantrag")
    assert await _failures(_with_neuantrag(NeuantragWithPatchedTimer), neuantrag) == {}
    assert len(neuantrag) >= 10


@pytest.mark.parametrize(
    ("kind", "folder", "variant", "least"),
    [
        ("rechtskreiswechsel", "vor-r30-r32-fristen", RechtskreiswechselIgnoringPatches, 5),
        ("neuantrag", "vor-r8-r11", NeuantragIgnoringPatches, 5),
        # R42 (part B): the plan cases that went through a review (the short-history variant aside)
        ("kooperationsplan", "vor-r42-ueberpruefung-frist", KooperationsplanIgnoringPatches, 3),
        # R46 follow-up: a plan case that went back to the active plan after an Aufforderung in its review
        ("kooperationsplan", "ueberpruefung_ueberfaellig_nicht_einhaltbar.json", KooperationsplanIgnoringPatches, 1),
    ],
)
async def test_issue19_rule_changes_replay_only_behind_their_policy_patches(kind, folder, variant, least):
    """Cases started before issue 19's R8/R11, R30/R32, R42 and R46 changes keep the old rules (PolicyPatch):
    without the patch some of their recorded histories no longer replay."""
    before = [p for p in _of_type(kind) if folder in p.parts]
    assert len(before) >= least
    others = [w for name, w in WORKFLOWS.items() if name != kind]
    unpatched = _replayer([variant, *others], workflow_runner=UnsandboxedWorkflowRunner())
    failed = await _failures(unpatched, before)
    assert failed and all(isinstance(e, NondeterminismError) for e in failed.values()), failed
    assert await _failures(_replayer(replay_workflows(), workflow_runner=UnsandboxedWorkflowRunner()), before) == {}


async def test_histories_take_every_declared_transition_and_timer():
    gaps = (await coverage.measure()).gaps()
    assert gaps == [], "paths without a recorded history (add a scenario, run `make histories`):\n" + "\n".join(gaps)


async def test_coverage_check_names_a_path_without_history():
    without_r8 = [p for p in FILES if p.name != "alg1_wiedervorlage_abgelehnt.json"]
    gaps = (await coverage.measure(without_r8)).gaps()
    assert "neuantrag: timer alg1_ende_erreicht in alg1_wiedervorlage never fired" in gaps
    assert any(g.startswith("neuantrag: row ") and "alg1_bezug_erfasst" in g for g in gaps)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(HERE).as_posix())
async def test_history_holds_no_personal_data(path):
    """Only fake case ids (children: ids the workflow drew) and non-personal facts."""
    history = load(path)
    codec = converter().payload_codec
    decoded = await codec.decode(_payloads(history.events)) if codec else _payloads(history.events)
    text = "\n".join(p.data.decode("utf-8", "replace") for p in decoded)
    assert not [word for word in PERSONAL if word in text]
    start = list(history.events[0].workflow_execution_started_event_attributes.input.payloads)
    started = json.loads((await codec.decode(start) if codec else start)[0].data)
    if "case_id" in started:
        assert started["person_id"] is None
        assert started["case_id"].startswith("fake-") or started.get("parent_workflow_id") or started.get("links")


def _payloads(messages) -> list[Payload]:
    found: list[Payload] = []
    for message in messages:
        if isinstance(message, Payload):
            found.append(message)
            continue
        for field, value in message.ListFields():
            if field.message_type is None:
                continue
            if isinstance(value, Message):
                found += _payloads([value])
            elif field.message_type.GetOptions().map_entry:
                found += _payloads(v for v in value.values() if isinstance(v, Message))
            else:
                found += _payloads(value)
    return found


# Patches added after workflows/patches.py's latest baseline: each is asked on its own (add it here).
NEWER_THAN_BASELINE: frozenset[str] = frozenset()
# Patches added after the first baseline, which the second covers.
BETWEEN_BASELINES = frozenset({effects.RECORD_LOCAL_ADOPTING})


def test_the_baseline_covers_every_patch_that_existed_when_it_was_made():
    """A patch the baseline left out would be asked on its own in new cases: harmless, but then
    it must be one added after the baseline (NEWER_THAN_BASELINE), not one forgotten."""
    asked = {
        effects.RECORD_AS_ACTIVITY,
        effects.RECORD_LOCAL_ADOPTING,
        effects.PUBLISH_CHANGES_ONLY,
        effects.PUBLISH_REGIME,
        effects.CHECK_CHILD_END,
        host.OVERDUE_UNTIL_DONE,
        host.EVERY_CHILD_REPORTS,
        *(p.id for process in PROCESSES.values() for p in process.patches),
        *(s.patch for process in PROCESSES.values() for t in process.transitions for s in t.spawns if s.patch),
    }
    assert asked - NEWER_THAN_BASELINE == set(patches.COVERED_2)
    assert asked - NEWER_THAN_BASELINE - BETWEEN_BASELINES == set(patches.COVERED)
