"""What keeps `fahrplan up`'s Temporal dev server from outliving it or starting twice
(worker/commands/devserver.py), each piece on its own."""

from __future__ import annotations

import json
import os
import socket
import subprocess

import pytest

from runtime.settings import Settings
from tests.devserver_support import flag_values, started_argv
from tests.up_support import free_ports
from worker.commands.devserver import (
    StartupFailed,
    bind_free,
    check_free,
    claim_data_dir,
    persistence_args,
    start_dev_command,
    stop_stale_server,
    tuning_args,
)


async def test_a_server_left_by_a_killed_up_is_stopped_on_the_next_start(tmp_path):
    """Started the way a killed `fahrplan up` leaves it: its own session, no parent that cares."""
    db_file = str(tmp_path / "temporal.db")
    port, ui = free_ports(2)
    command = start_dev_command("127.0.0.1", port, db_file=db_file, ui_port=ui)
    stale = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL)
    (tmp_path / "temporal.pid").write_text(json.dumps({"pid": stale.pid, "db": db_file}))
    try:
        started_argv(stale.pid)  # left running means started: exec'd, not still this test's fork
        assert await stop_stale_server(Settings(data_dir=tmp_path)) == stale.pid
        assert stale.wait(5) is not None and not (tmp_path / "temporal.pid").exists()
    finally:
        stale.kill()


async def test_a_pid_that_is_not_our_server_is_left_alone(tmp_path):
    other = subprocess.Popen(["sleep", "30"])
    (tmp_path / "temporal.pid").write_text(json.dumps({"pid": other.pid, "db": str(tmp_path / "temporal.db")}))
    try:
        assert await stop_stale_server(Settings(data_dir=tmp_path)) is None
        assert other.poll() is None and not (tmp_path / "temporal.pid").exists()
    finally:
        other.kill()
        other.wait()
    assert await stop_stale_server(Settings(data_dir=tmp_path)) is None  # no pid file: nothing to do


def test_taken_ports_are_named_in_german(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StartupFailed, match=rf"Port {port} \(API\) auf 127.0.0.1 ist belegt.*FAHRPLAN_API_PORT"):
            bind_free("API", "127.0.0.1", port, "FAHRPLAN_API_PORT")
        settings = Settings(data_dir=tmp_path, temporal_ui_url=f"http://127.0.0.1:{port}")
        with pytest.raises(StartupFailed, match=r"Temporal UI.*FAHRPLAN_TEMPORAL_UI_URL"):
            check_free(settings)
    free = bind_free("API", "127.0.0.1", port, "FAHRPLAN_API_PORT")  # free again: bound for the caller
    free.close()


def test_one_up_per_data_dir(tmp_path):
    fd = claim_data_dir(Settings(data_dir=tmp_path))
    try:
        with pytest.raises(StartupFailed, match=rf"läuft bereits ein `fahrplan up` \(PID {os.getpid()}\)"):
            claim_data_dir(Settings(data_dir=tmp_path))
    finally:
        os.close(fd)
    os.close(claim_data_dir(Settings(data_dir=tmp_path)))  # released with its process (or fd)


def test_one_command_starts_every_dev_server_as_fahrplan_up_does(tmp_path):
    """`fahrplan up`, the benches and the fault tests share it: persisted and tuned alike."""
    db_file = tmp_path / "temporal.db"
    on_file = start_dev_command("127.0.0.1", 7233, db_file=db_file, ui_port=8233, extra=["--namespace", "x"])
    assert on_file[1:9] == ["server", "start-dev", "--ui-port", "8233", "--ip", "127.0.0.1", "--port", "7233"]
    assert on_file[9:15] == persistence_args(db_file)
    assert on_file[15:] == [*tuning_args(), "--log-level", "error", "--namespace", "x"]
    in_memory = start_dev_command("127.0.0.1", 7233, db_file=None, transfer_poll_rps=20)
    assert "--headless" in in_memory and "--db-filename" not in in_memory and "--ui-port" not in in_memory
    assert tuning_args(20)[1] in in_memory


def test_a_benchs_extra_pragmas_follow_the_journals(tmp_path):
    """bench --server-pragma: after journal_mode and synchronous, which it cannot undo by order."""
    db_file = tmp_path / "temporal.db"
    pragmas = flag_values(persistence_args(db_file, pragmas=["wal_autocheckpoint=0"]), "--sqlite-pragma")
    assert pragmas == ["journal_mode=wal", "synchronous=full", "wal_autocheckpoint=0"]
    assert persistence_args(db_file, "delete", ["cache_size=-20000"])[2:] == ["--sqlite-pragma", "cache_size=-20000"]
    with pytest.raises(ValueError, match="file-backed"):
        start_dev_command("127.0.0.1", 7233, db_file=None, pragmas=["wal_autocheckpoint=0"])
