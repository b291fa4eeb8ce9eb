"""Local data files are private (issue 13, item 6): the data dir 0700, the SQLite database and
the Temporal dev server's files 0600 (runtime/files.py, called first by `fahrplan up`)."""

from __future__ import annotations

import asyncio
import os
import socket
import stat

import pytest

from runtime.files import PRIVATE_UMASK, secure_data_dir
from runtime.settings import Settings
from worker.commands import devserver, up


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _modes(directory) -> dict[str, int]:
    """The modes of the files in `directory`; a file that goes between listing and stat (SQLite's
    rollback journal lives for one transaction) is left out."""
    modes = {}
    for path in directory.iterdir():
        try:
            modes[path.name] = _mode(path)
        except FileNotFoundError:
            continue
    return modes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def umask():
    """secure_data_dir sets the process umask: put the test process's back afterwards."""
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)


def test_secure_data_dir_tightens_existing_files_and_sets_umask(tmp_path, umask):
    data = tmp_path / "var"
    data.mkdir(mode=0o755)
    (data / "fahrplan.db").write_bytes(b"")
    (data / "fahrplan.db").chmod(0o644)
    secure_data_dir(data)
    assert (_mode(data), _mode(data / "fahrplan.db")) == (0o700, 0o600)
    assert os.umask(PRIVATE_UMASK) == PRIVATE_UMASK
    (data / "neu.txt").write_text("x")
    assert _mode(data / "neu.txt") == 0o600


async def test_up_makes_data_dir_private_before_it_starts_the_temporal_server(tmp_path, monkeypatch, umask):
    seen = {}

    def fake_start(settings, codec_url):
        seen["umask"] = os.umask(0o077)
        seen["mode"] = _mode(settings.data_dir)
        raise RuntimeError("stop here")

    monkeypatch.setattr(devserver, "start_dev_server", fake_start)
    with pytest.raises(RuntimeError, match="stop here"):
        await up.up(
            Settings(
                data_dir=tmp_path / "var",
                api_port=_free_port(),
                temporal_address=f"127.0.0.1:{_free_port()}",
                temporal_ui_url=f"http://127.0.0.1:{_free_port()}",
            )
        )
    assert seen == {"umask": 0o077, "mode": 0o700}
    assert {_mode(p) for p in (tmp_path / "var").iterdir()} == {0o600}  # tokens and keys


async def test_temporal_dev_server_files_are_0600_after_secure_data_dir(tmp_path, umask):
    data = secure_data_dir(tmp_path / "var")
    port, ui = _free_port(), _free_port()
    settings = Settings(data_dir=data, temporal_address=f"127.0.0.1:{port}", temporal_ui_url=f"http://127.0.0.1:{ui}")
    server = devserver.start_dev_server(settings, "http://127.0.0.1:1/codec")
    try:
        for _ in range(200):
            if (data / "temporal.db").exists() and (data / "temporal.db").stat().st_size > 0:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # its -wal and -shm
        files = _modes(data)
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert "temporal.db" in files and set(files.values()) == {0o600}, files
