"""Fahrplan's local files are private: the data dir 0700, every file in it 0600.

The data dir holds the SQLite database (personal data), the Temporal dev server's history,
the tokens and the keys. `secure_data_dir` runs first in `fahrplan up`: it tightens what is
there and sets the process umask to 077, so what this process and the Temporal server it
spawns create later (SQLite's -wal and -shm, temporal.db, logs) is private too.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
PRIVATE_UMASK = 0o077


def private_dir(path: Path) -> Path:
    """The directory (and its missing parents), mode 0700 even if it existed."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    path.chmod(PRIVATE_DIR)
    return path


def secure_data_dir(data_dir: Path) -> Path:
    """umask 077 for this process and its children; the data dir 0700, its files 0600."""
    os.umask(PRIVATE_UMASK)
    private_dir(data_dir)
    for child in data_dir.iterdir():
        if child.is_file() and not child.is_symlink():
            child.chmod(PRIVATE_FILE)
    return data_dir


def ensure_key_file(path: Path, key_id: str, new_key: Callable[[], str]) -> dict[str, str]:
    """A JSON key file {key_id: key}, created once with mode 0600 (O_EXCL: two processes starting
    at the same time agree on one key); afterwards it is only read."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it right now
            text = path.read_text()
            if text.strip():
                return json.loads(text)
            time.sleep(0.02)
        raise ValueError(f"{path} is empty: delete it only if nothing was written with its key") from None
    with os.fdopen(fd, "w") as out:
        keys = {key_id: new_key()}
        out.write(json.dumps(keys, indent=2))
    return keys
