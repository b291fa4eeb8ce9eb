"""The benches' dev server is started as `make run` starts it, or with the server's own transfer-queue
poll rate when asked (`--transfer-poll-rps`, bench/README.md)."""

from __future__ import annotations

import argparse

from bench.environment import add_server_flags, dev_server
from tests.devserver_support import dynamic_config
from worker.commands.devserver import TRANSFER_POLL_RPS


def test_the_flags_default_to_make_runs_server():
    parser = argparse.ArgumentParser()
    add_server_flags(parser)
    assert parser.parse_args([]).transfer_poll_rps == TRANSFER_POLL_RPS
    assert parser.parse_args(["--transfer-poll-rps", "20"]).transfer_poll_rps == 20
    assert parser.parse_args([]).server_journal == "wal"


def test_the_dev_server_gets_the_poll_rate_it_is_given(tmp_path):
    with dev_server(tmp_path, None) as (_, pid):
        assert dynamic_config(pid) == [f"history.transferProcessorMaxPollRPS={TRANSFER_POLL_RPS}".encode()]
    with dev_server(tmp_path, None, transfer_poll_rps=20) as (_, pid):
        assert dynamic_config(pid) == [b"history.transferProcessorMaxPollRPS=20"]
