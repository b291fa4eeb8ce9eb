"""Reading a started Temporal dev server's command line (tests of `fahrplan up` and the benches)."""

from __future__ import annotations

import time
from pathlib import Path


def started_argv(pid: int, seconds: float = 10) -> list[bytes]:
    """The command line of process `pid` once it runs the dev server: right after the fork it is
    still its parent's."""
    deadline = time.monotonic() + seconds
    while b"start-dev" not in (argv := Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")):
        assert time.monotonic() < deadline, f"{pid} is not a dev server: {argv[:3]}"
        time.sleep(0.01)
    return argv


def flag_values(argv: list, flag):
    """The values given to a repeatable `flag` in `argv`, in order (str or bytes alike)."""
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == flag]


def dynamic_config(pid: int) -> list[bytes]:
    """The --dynamic-config-value arguments a running dev server was started with."""
    return flag_values(started_argv(pid), b"--dynamic-config-value")
