"""Recorded workflow histories of every path of every process, replayed by tests/test_replay.py.

`make histories` (`python -m tests.histories.record`) records them anew on the time-skipping
test server with the real worker; `coverage.py` checks that together they take every declared
transition and fire every declared timer. The JSON files are `WorkflowHistory.to_json()`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

HERE = Path(__file__).parent
WORKFLOW_IDS = HERE / "workflow_ids.json"
PROCESS_DIRS = (
    "neuantrag",
    "rechtskreiswechsel",
    "kooperationsplan",
    "schlichtung",
    "gruppencoaching",
    "meldetermin",
    "minderung",
)


def history_files() -> list[Path]:
    """Every recorded history, including those kept in subfolders from before a patch."""
    return sorted(p for d in PROCESS_DIRS for p in (HERE / d).rglob("*.json"))


def recorded_files() -> list[Path]:
    """The histories the recorder owns (and replaces): those directly in a process folder."""
    return sorted(p for d in PROCESS_DIRS for p in (HERE / d).glob("*.json"))


@cache
def load(path: Path):
    """A recorded history with its workflow id (kept in workflow_ids.json: the JSON of
    `WorkflowHistory.to_json()` has none). Parsed once per process: parsing is slow."""
    from temporalio.client import WorkflowHistory

    return WorkflowHistory.from_json(_workflow_ids()[path.relative_to(HERE).as_posix()], path.read_text())


@cache
def _workflow_ids() -> dict[str, str]:
    return json.loads(WORKFLOW_IDS.read_text())


def converter():
    """The data converter the tests use (tests/conftest.py `env`): histories are recorded and replayed with it."""
    from runtime.temporal import DATA_CONVERTER

    return DATA_CONVERTER


def replay_workflows() -> list[type]:
    """Every Fahrplan workflow type, plus the test variants that continue as new after a few events."""
    from tests.support_workflows import ShortHistoryKooperationsplan, ShortHistoryNeuantrag
    from workflows.processes import WORKFLOWS

    return [*WORKFLOWS.values(), ShortHistoryNeuantrag, ShortHistoryKooperationsplan]
