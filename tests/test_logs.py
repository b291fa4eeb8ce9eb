"""Logs: JSON lines with the case id, quiet by default (one INFO line per transition, libraries at
WARNING), and no personal data of the person whose case is driven through the API."""

from __future__ import annotations

import io
import json
import logging
from contextlib import contextmanager

from runtime import logs
from tests.ops_support import ops_stack

PERSON = {
    "vorname": "Wendelin",
    "nachname": "Ohnegleichen",
    "geburtsdatum": "1974-11-03",
    "anschrift": {"strasse": "Einzigartigstraße 9", "plz": "58285", "ort": "Gevelsberg"},
}
MARKERS = ("Wendelin", "Ohnegleichen", "1974-11-03", "03.11.1974", "Einzigartigstraße")
STEPS = (("identitaet_bestaetigt", "egs"), ("antrag_zurueckgenommen", "egs"))


@contextmanager
def captured(log_format: str = "json"):
    """The process's logging as `fahrplan worker` sets it up, into a buffer; restored afterwards."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), logging.getLogger("fahrplan").level)
    buffer = io.StringIO()
    root.handlers = [h for h in root.handlers if type(h).__module__.startswith("_pytest")]
    logs.configure(log_format, "INFO", stream=buffer)
    try:
        yield buffer
    finally:
        root.setLevel(saved[0])
        root.handlers = saved[1]
        logging.getLogger("fahrplan").setLevel(saved[2])


async def _drive(http) -> list[str]:
    ids = []
    for _ in range(2):
        r = await http.post(
            "/api/v1/cases",
            json={"process": "neuantrag", "person": PERSON, "facts": {"antragsweg": "persoenlich"}},
            headers={"Authorization": "Bearer tok-egs"},
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["case_id"])
        for trigger, role in STEPS:
            r = await http.post(
                f"/api/v1/cases/{ids[-1]}/transitions",
                json={"trigger": trigger, "comment": f"Rückruf von {PERSON['vorname']} {PERSON['nachname']}"},
                headers={"Authorization": f"Bearer tok-{role}"},
            )
            assert r.status_code == 200, r.text
    return ids


async def test_json_lines_one_per_transition_without_personal_data(env, sqlite_db, tmp_path):
    with captured() as buffer:
        async with ops_stack(env, sqlite_db, tmp_path) as ops:
            ids = await _drive(ops.http)
            # a refused step logs nothing personal either
            r = await ops.http.post(
                f"/api/v1/cases/{ids[0]}/transitions",
                json={"trigger": "identitaet_bestaetigt", "comment": PERSON["nachname"]},
                headers={"Authorization": "Bearer tok-egs"},
            )
            assert r.status_code == 409
    text = buffer.getvalue()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert lines, "nothing was logged"
    for line in lines:
        assert {"ts", "level", "logger", "message"} <= line.keys()
    transitions = [line for line in lines if line["logger"] == "fahrplan.transitions"]
    assert len(transitions) == len(ids) * len(STEPS)  # the starts were recorded by the API: no line
    assert {line["case_id"] for line in transitions} == set(ids)
    assert all(line["case_id"] in line["message"] for line in transitions)
    info = [line for line in lines if line["level"] in ("DEBUG", "INFO")]
    assert all(line["logger"].startswith("fahrplan.") for line in info), info
    assert "already recorded" not in text
    for marker in MARKERS:
        assert marker not in text


def test_text_format_and_case_id_from_the_temporal_extra():
    with captured("text") as buffer:
        record = logging.LogRecord("fahrplan.x", logging.WARNING, __file__, 1, "hallo %s", ("welt",), None)
        record.temporal_activity = {"workflow_id": "neuantrag-0b7c2b4e-3f1a-4c8e-9d61-2f8a4c7d0b11"}
        logging.getLogger("fahrplan.x").handle(record)
    assert buffer.getvalue().strip().endswith("hallo welt [case_id=0b7c2b4e-3f1a-4c8e-9d61-2f8a4c7d0b11]")


def test_database_drivers_stay_quiet_even_at_debug():
    with captured() as buffer:
        logs.configure("json", "DEBUG", stream=buffer)
        logging.getLogger("sqlalchemy.engine").info("SELECT … [parameters: ('Wendelin',)]")
        logging.getLogger("temporalio.worker").info("worker started")
        logging.getLogger("fahrplan.worker").debug("debug of our own")
    assert [json.loads(line)["message"] for line in buffer.getvalue().splitlines()] == ["debug of our own"]
