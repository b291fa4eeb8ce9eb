"""The benches' dev server is started as `make run` starts it, or with the server's own transfer-queue
poll rate or another SQLite pragma when asked (`--transfer-poll-rps`, `--server-pragma`,
bench/README.md); the latency bench's levels, sample file, bare variant, steps and the paths it
also measures."""

from __future__ import annotations

import argparse
import asyncio
import json

import pytest

from bench import bare, run_latency
from bench.environment import dev_server
from bench.flags import add_bare_variant_flag, add_server_flags
from bench.measure import CpuProbe, Run, drive
from bench.run_latency import (
    LEVELS,
    also,
    by_step,
    describe,
    driven,
    levels,
    paired_ratio,
    samples_at,
    write_samples,
)
from tests.devserver_support import dynamic_config, flag_values, started_argv
from worker.commands.devserver import TRANSFER_POLL_RPS


def server_flags() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_server_flags(parser)
    return parser


def test_the_flags_default_to_make_runs_server():
    parser = server_flags()
    assert parser.parse_args([]).transfer_poll_rps == TRANSFER_POLL_RPS
    assert parser.parse_args(["--transfer-poll-rps", "20"]).transfer_poll_rps == 20
    assert parser.parse_args([]).server_journal == "wal"
    assert parser.parse_args([]).server_pragma == []


def test_server_pragmas_are_name_value_pairs():
    parser = server_flags()
    given = ["--server-pragma", "wal_autocheckpoint=0", "--server-pragma", "cache_size=-20000"]
    assert parser.parse_args(given).server_pragma == ["wal_autocheckpoint=0", "cache_size=-20000"]
    for wrong in ("wal_autocheckpoint", "wal_autocheckpoint=0; DROP TABLE x", "=0"):
        with pytest.raises(argparse.ArgumentError, match="NAME=VALUE"):
            parser.parse_args(["--server-pragma", wrong])


def test_the_dev_server_gets_the_poll_rate_it_is_given(tmp_path):
    with dev_server(tmp_path, None) as (_, pid):
        assert dynamic_config(pid) == [f"history.transferProcessorMaxPollRPS={TRANSFER_POLL_RPS}".encode()]
    with dev_server(tmp_path, None, transfer_poll_rps=20) as (_, pid):
        assert dynamic_config(pid) == [b"history.transferProcessorMaxPollRPS=20"]


def test_the_dev_server_gets_the_pragmas_it_is_given(tmp_path):
    with dev_server(tmp_path, tmp_path / "temporal.db", pragmas=["wal_autocheckpoint=0"]) as (_, pid):
        given = flag_values(started_argv(pid), b"--sqlite-pragma")
    assert given == [b"journal_mode=wal", b"synchronous=full", b"wal_autocheckpoint=0"]


def test_the_latency_levels():
    assert levels("1") == (1,) and levels("1,20") == (1, 20) == LEVELS and levels("20,1,20") == (20, 1)
    for wrong in ("", "0", "1,x", "-5"):
        with pytest.raises(argparse.ArgumentTypeError):
            levels(wrong)


def test_the_latency_samples_per_level():
    """5,000 at several clients, where a few stalls make the slowest 1 %; --samples for every level."""
    default, given = argparse.Namespace(samples=None), argparse.Namespace(samples=300)
    assert [samples_at(default, c) for c in LEVELS] == [1000, 5000]
    assert [samples_at(given, c) for c in LEVELS] == [300, 300]
    with pytest.raises(SystemExit):  # fewer than 100 a round: no p99
        run_latency.main(["--samples", "0"])


def test_the_latency_ratio_is_the_median_of_the_rounds_ratios():
    """One stall in one bare round (900 ms) moves one round's ratio, not the result."""
    bare, fahrplan = [300.0, 320.0, 900.0, 310.0, 300.0], [450.0, 448.0, 450.0, 465.0, 420.0]
    ratios, median = paired_ratio(bare, fahrplan)
    assert [round(r, 2) for r in ratios] == [1.5, 1.4, 0.5, 1.5, 1.4]
    assert median == pytest.approx(1.4)
    with pytest.raises(ValueError):
        paired_ratio(bare, fahrplan[:-1])


def test_the_latency_bench_also_measures_the_paths_without_the_api_between_bare_and_fahrplan():
    """--also workflow,usecase: measured in the order bench/paths.py peels the API away, each path
    once; bare and fahrplan always, first and last (the rounds alternate that order)."""
    assert driven(()) == ("bare", "fahrplan")
    assert driven(also("usecase, workflow,usecase")) == ("bare", "workflow", "usecase", "fahrplan")
    assert driven(also("workflow")) == ("bare", "workflow", "fahrplan")
    for wrong in ("", "fahrplan", "workflow,http"):
        with pytest.raises(argparse.ArgumentTypeError, match="choose of workflow,usecase"):
            also(wrong)


def test_a_paths_line_shows_the_spread_between_its_p50_and_p99():
    run = Run(transitions=100)
    run.latencies, run.seconds = [0.1] * 50 + [0.2] * 49 + [0.4], 10.0
    line = describe(run)
    assert "p50  150.0 ms" in line and "p99  202.0 ms" in line and "p99/p50 1.35" in line
    assert "(100 samples, 10.0/s)" in line


def test_the_samples_file_keeps_each_paths_latencies_in_order(tmp_path):
    fast, slow = Run(), Run()
    fast.latencies, slow.latencies = [0.0171, 0.0345], [0.0286, 0.0512]
    write_samples(tmp_path / "samples.json", {(1, "bare"): fast, (1, "fahrplan"): slow})
    assert json.loads((tmp_path / "samples.json").read_text()) == {
        "1": {"bare": [17.1, 34.5], "fahrplan": [28.6, 51.2]}
    }


def test_the_bare_variant_flag_reads_a_variant_and_refuses_an_unknown_one():
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_bare_variant_flag(parser)
    assert parser.parse_args([]).bare_variant == bare.PLAIN
    given = parser.parse_args(["--bare-variant", "search-attributes,state-changes=2"])
    assert given.bare_variant == bare.Variant(search_attributes=True, state_changes=2)
    with pytest.raises(argparse.ArgumentError, match="unknown bare variant"):
        parser.parse_args(["--bare-variant", "state-changes"])


async def test_drive_notes_each_latencys_step():
    """C drivers each take a case and fire its steps in order; the latencies finish in any order."""
    fired = []

    async def fire(case: str, i: int) -> None:
        await asyncio.sleep(0.001 * ((len(case) + i) % 3))
        fired.append((case, i))

    run = await drive(["a", "bb", "ccc"], 4, 2, fire, CpuProbe({}))
    assert len(run.latencies) == len(run.steps) == 12 == run.transitions
    assert sorted(run.steps) == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert [i for case, i in fired if case == "bb"] == [0, 1, 2, 3]
    assert [i for _, i in fired] == run.steps  # each latency noted with the step that took it
    both = Run()
    both.add(run)
    both.add(run)
    assert both.steps == run.steps * 2 and len(both.latencies) == 24


def test_the_latency_by_step_shows_where_the_slowest_one_percent_fall():
    """200 samples over two steps; step 0 holds the two slowest (above the p99)."""
    run = Run(transitions=200)
    run.steps = [i % 2 for i in range(200)]
    run.latencies = [0.100 + 0.001 * (i % 7) for i in range(200)]
    run.latencies[0], run.latencies[2] = 0.900, 0.800
    times, counts = by_step(run)
    assert counts == "2 above the p99; 0: 2  1: 0"
    assert times.startswith("0: 103/") and "  1: 103/106" in times
