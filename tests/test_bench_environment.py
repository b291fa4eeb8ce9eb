"""The benches' dev server is started as `make run` starts it, or with the server's own transfer-queue
poll rate or another SQLite pragma when asked (`--transfer-poll-rps`, `--server-pragma`,
bench/README.md); the latency bench's levels and sample file."""

from __future__ import annotations

import argparse
import json

import pytest

from bench import run_latency
from bench.environment import dev_server
from bench.flags import add_server_flags
from bench.measure import Run
from bench.run_latency import LEVELS, levels, paired_ratio, samples_at, write_samples
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


def test_the_samples_file_keeps_each_paths_latencies_in_order(tmp_path):
    fast, slow = Run(), Run()
    fast.latencies, slow.latencies = [0.0171, 0.0345], [0.0286, 0.0512]
    write_samples(tmp_path / "samples.json", {(1, "bare"): fast, (1, "fahrplan"): slow})
    assert json.loads((tmp_path / "samples.json").read_text()) == {
        "1": {"bare": [17.1, 34.5], "fahrplan": [28.6, 51.2]}
    }
