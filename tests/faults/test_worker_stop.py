"""`fahrplan worker` stopped as a process manager stops it (SIGTERM): it stops polling, lets the
tasks in flight finish, tells the server it is gone and exits 0 (before, SIGTERM ended it on the
spot, as kill -9 does, and its workflows waited for their task timeouts on the next worker). A
worker started in its place carries the case on.

    .venv/bin/pytest tests/faults/test_worker_stop.py -s
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.faults.harness import log_tail, stack
from tests.faults.outage_support import create_case

pytestmark = pytest.mark.faults
EGS = {"Authorization": "Bearer fault-egs"}


async def test_sigterm_stops_the_worker_gracefully_and_the_next_one_carries_on(tmp_path):
    async with stack(tmp_path) as s:
        case_id = await create_case(s.http)
        r = await s.http.post(f"/cases/{case_id}/transitions", json={"trigger": "identitaet_bestaetigt"}, headers=EGS)
        assert r.status_code == 200, r.text

        began = time.monotonic()
        s.worker.proc.send_signal(signal.SIGTERM)
        code = s.worker.proc.wait(timeout=30)
        stopped = time.monotonic() - began
        assert code == 0, log_tail(s.worker.log)
        assert "worker stopped" in s.worker.log.read_text(), log_tail(s.worker.log)

        s.worker.start()
        began = time.monotonic()
        r = await s.http.post(f"/cases/{case_id}/transitions", json={"trigger": "antrag_zurueckgenommen"}, headers=EGS)
        assert r.status_code == 200 and r.json()["final"], r.text
        carried_on = time.monotonic() - began
        print(f"\nworker exited {stopped:.1f} s after SIGTERM; the next worker moved the case in {carried_on:.1f} s")
