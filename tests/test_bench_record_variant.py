"""bench/record_variant.py: `--record activity`, the regular activity of cases begun before baseline-b."""

from __future__ import annotations

import pytest

from bench import record_variant, run_latency, run_transitions
from workflows import effects

ASKED: list[str] = []


def patched(patch_id: str) -> bool:
    """A run that takes every patch, as a new case does."""
    ASKED.append(patch_id)
    return True


def built() -> effects.CaseEffects:
    return effects.CaseEffects(process=None, inp=None, patched=patched)  # type: ignore[arg-type]


def test_activity_answers_not_patched_for_the_local_activity_only():
    ASKED.clear()
    with record_variant.recording("activity"):
        made = built()
        assert made._patched(effects.RECORD_LOCAL_ADOPTING) is False
        assert made._patched(effects.RECORD_AS_ACTIVITY) is True
        assert made._patched(effects.PUBLISH_CHANGES_ONLY) is True
    assert ASKED == [effects.RECORD_AS_ACTIVITY, effects.PUBLISH_CHANGES_ONLY]  # the others are still asked


def test_the_workflows_record_with_the_local_activity_again_afterwards():
    with record_variant.recording("activity"):
        pass
    assert built()._patched(effects.RECORD_LOCAL_ADOPTING) is True
    with record_variant.recording("local"):
        assert built()._patched(effects.RECORD_LOCAL_ADOPTING) is True


def test_the_variant_is_undone_when_the_bench_fails():
    with pytest.raises(RuntimeError), record_variant.recording("activity"):
        raise RuntimeError("bench failed")
    assert built()._patched(effects.RECORD_LOCAL_ADOPTING) is True


@pytest.mark.parametrize("bench", [run_transitions, run_latency])
@pytest.mark.parametrize(
    ("flag", "refusal"),
    [
        ("--sandbox", "--record activity needs unsandboxed workflows"),
        ("--worker-process", "--record activity needs the worker in the bench process"),
    ],
)
def test_activity_where_the_patch_does_not_reach_is_refused_before_anything_starts(bench, flag, refusal, capsys):
    # The sandbox re-imports the workflows, and a worker of its own process (--worker-process) never
    # sees this process's patch: either would silently measure the local activity.
    with pytest.raises(SystemExit) as refused:
        bench.main(["--record", "activity", flag])
    assert refused.value.code == 2
    assert refusal in capsys.readouterr().err


@pytest.mark.parametrize("bench", [run_transitions, run_latency])
def test_an_unknown_way_to_record_is_refused(bench, capsys):
    with pytest.raises(SystemExit):
        bench.main(["--record", "signal"])
    assert "invalid choice: 'signal'" in capsys.readouterr().err
