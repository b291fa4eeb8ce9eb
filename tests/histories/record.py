"""Record the histories: `make histories` or `.venv/bin/python -m tests.histories.record [path-filter]`.

Runs every scenario (tests/histories/scenarios_*.py) on a fresh time-skipping test server
with the real worker and a fresh SQLite database, writes each workflow's history to
tests/histories/<process>/<path>[.<suffix>].json, the workflow ids to workflow_ids.json and a
readable summary to trails.txt (payloads are encrypted: review its diff),
then checks that the histories take every declared transition and timer (exit 1 on a gap).
Without a filter, all recorded JSON files are replaced, so removed paths disappear; histories
kept in subfolders (from before a patch) are left alone and still replayed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from persistence.db import Database
from persistence.migrate import upgrade
from runtime.temporal import register_search_attributes
from tests.conftest import _binary, new_worker
from tests.dbfixtures import TEST_AUDIT_KEYS
from tests.histories import (  # noqa: F401
    HERE,
    PROCESS_DIRS,
    WORKFLOW_IDS,
    converter,
    coverage,
    recorded_files,
    replay_workflows,
    scenarios_gruppencoaching,
    scenarios_kooperationsplan,
    scenarios_minderung,
    scenarios_neuantrag,
    scenarios_rechtskreiswechsel,
)
from tests.histories.recorder import SCENARIOS, Recorder
from workflows import search_attributes

TASK_QUEUE = "fahrplan-histories"
TRAILS = HERE / "trails.txt"


async def record(only: str | None = None) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'fahrplan.db'}"
        upgrade(url)
        db = Database(url, audit_keys=TEST_AUDIT_KEYS)
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=_binary("temporal-test-server"), data_converter=converter()
        )
        try:
            await register_search_attributes(env.client, env.client.namespace, search_attributes.ALL)
            async with new_worker(env.client, db=db, workflows=replay_workflows(), task_queue=TASK_QUEUE) as worker:
                rec = Recorder(env, worker, db)
                for process_dir, path, run in sorted(SCENARIOS, key=lambda s: PROCESS_DIRS.index(s[0])):
                    if only and only not in f"{process_dir}/{path}":
                        continue
                    started = time.monotonic()
                    await rec.save(process_dir, path, await run(rec, path))
                    print(f"{process_dir}/{path}: {time.monotonic() - started:.1f} s", flush=True)
            return rec.saved
        finally:
            await env.shutdown()
            await db.dispose()


def write_ids(saved: dict[str, str]) -> None:
    """The new ids, and those of older files still there (a filtered run, histories kept from before a patch)."""
    old = json.loads(WORKFLOW_IDS.read_text()) if WORKFLOW_IDS.exists() else {}
    ids = {name: wf_id for name, wf_id in old.items() if (HERE / name).exists()} | saved
    WORKFLOW_IDS.write_text(json.dumps(dict(sorted(ids.items())), indent=1) + "\n")


async def main(only: str | None = None) -> int:
    if not only:
        for old in recorded_files():
            old.unlink()
    saved = await record(only)
    write_ids(saved)
    print(f"{len(saved)} histories written under {HERE}")
    TRAILS.write_text(await coverage.trails())
    found = await coverage.measure()
    print(coverage.report(found))
    return 1 if found.gaps() else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else None)))
