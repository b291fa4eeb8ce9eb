"""One `fahrplan up` as a real process on free ports in a temp data dir, for the tests that
need the whole of it (tests/test_up_process.py, tests/test_otlp_export.py)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

FAHRPLAN = str(Path(sys.executable).parent / "fahrplan")


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


class Up:
    """One `fahrplan up` process: its data dir, ports and output."""

    def __init__(self, data_dir: Path, ports: list[int], **extra: str):
        self.data_dir, (self.temporal, self.ui, self.api) = data_dir, ports
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FAHRPLAN_")} | {
            "FAHRPLAN_DATA_DIR": str(data_dir),
            "FAHRPLAN_TEMPORAL_ADDRESS": f"127.0.0.1:{self.temporal}",
            "FAHRPLAN_TEMPORAL_UI_URL": f"http://127.0.0.1:{self.ui}",
            "FAHRPLAN_API_PORT": str(self.api),
            **extra,
        }
        self.output = data_dir.parent / f"{data_dir.name}.out"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Up:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.output, "ab") as out:  # cwd: no developer .env is read
            self.proc = subprocess.Popen(
                [FAHRPLAN, "up"], env=self.env, cwd=self.data_dir.parent, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        return self

    def run(self, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [FAHRPLAN, "up"], env=self.env, cwd=self.data_dir.parent, capture_output=True, text=True, timeout=timeout
        )

    def ready(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.text()
            try:
                if httpx.get(f"http://127.0.0.1:{self.api}/api/v1/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"not ready in {seconds} s:\n{self.text()}")

    def text(self) -> str:
        return self.output.read_text(errors="replace") if self.output.exists() else ""

    def server_pid(self, seconds: float = 60) -> int:
        """The dev server on this data dir, found by its command line (not by what `fahrplan up` notes)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for proc in Path("/proc").iterdir():
                try:
                    argv = (proc / "cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if b"start-dev" in argv and any(str(self.data_dir).encode() in a for a in argv):
                    return int(proc.name)
            time.sleep(0.05)
        raise AssertionError(f"no dev server for {self.data_dir}")

    def tokens(self) -> dict[str, dict]:
        return json.loads((self.data_dir / "tokens.json").read_text())

    def token_of(self, role: str) -> str:
        return next(t for t, u in self.tokens().items() if role in u["roles"])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False
