"""The role matrix comes from the declarations only: the README table is generated from
them, and the HTTP API refuses (403) exactly the roles a trigger or a process start does
not declare - every trigger of every process with every role."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.settings import PARTICIPANT, ROLES
from statemachines.regimes import LEGACY, for_regime
from statemachines.registry import PROCESSES
from statemachines.roles import (
    END_MARKER,
    PERMISSIONS,
    START_MARKER,
    YES,
    permission_table,
    process_table,
    reader_roles,
    role_matrix,
    with_matrix,
)
from statemachines.spec import SYSTEM
from tests.access_support import Api
from tests.api_fixtures import PERSON
from worker.commands.roles import current_readme

README = Path(__file__).resolve().parent.parent / "README.md"


# --- the generated table ---------------------------------------------------------------------


def test_readme_role_matrix_is_what_the_declarations_produce():
    text = README.read_text(encoding="utf-8")
    assert START_MARKER in text and END_MARKER in text
    assert text == current_readme(text), "README role matrix is stale: run `fahrplan roles` and commit README.md"


def test_role_matrix_marks_each_declared_role_and_timer():
    table = process_table(PROCESSES["rechtskreiswechsel"], ROLES).splitlines()
    header = [c.strip() for c in table[2].strip("|").split("|")]
    rows = {}
    for line in table[4:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = dict(zip(header[1:], cells[1:], strict=True))
    opened = rows["Fall eröffnen"]
    assert opened["egs"] == YES and opened["teamleitung"] == YES and opened["ifk"] == ""
    assert rows["`einladen`"]["teamleitung"] == YES and rows["`einladen`"][SYSTEM] == "Frist (system)"
    assert rows["`teilnahme_offen`"][SYSTEM] == "Frist (system)" and YES not in rows["`teilnahme_offen`"].values()
    assert rows["*Fall lesen*"][PARTICIPANT] == "eigener Fall" and rows["*Fall lesen*"]["jobcoach"] == ""
    for t in PROCESSES["rechtskreiswechsel"].triggers:  # every cell is the declaration
        assert {r for r in ROLES if rows[f"`{t.name}`"][r] == YES} == set(t.roles) - {SYSTEM}
    kp = process_table(PROCESSES["kooperationsplan"], ROLES)
    assert "| `schlichtung_beendet` |" in kp and "Ende schlichtung (system)" in kp
    assert "`schlichtung_beantragt` (kooperationsplan)" in process_table(PROCESSES["schlichtung"], ROLES)


def test_permission_table_marks_the_roles_each_permission_declares():
    table = permission_table(ROLES).splitlines()
    header = [c.strip() for c in table[2].strip("|").split("|")]
    rows = {}
    for line in table[4:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = {role for role, cell in zip(header[1:], cells[1:], strict=True) if cell == YES}
    assert rows == {f"{p.label} (`{p.name}`)": set(p.roles) for p in PERMISSIONS}
    assert "Weitere Rechte" in role_matrix(ROLES)


def test_with_matrix_replaces_only_between_markers_and_needs_them():
    text = f"vorher\n{START_MARKER}\nalt\n{END_MARKER}\nnachher\n"
    assert with_matrix(text, "neu\n") == f"vorher\n{START_MARKER}\nneu\n{END_MARKER}\nnachher\n"
    with pytest.raises(ValueError):
        with_matrix("kein Marker", role_matrix(ROLES))


def test_reader_roles_include_openers_trigger_roles_task_roles_and_team_lead():
    neuantrag = reader_roles(PROCESSES["neuantrag"])
    assert {"egs", "jobcoach", "leistung"} <= neuantrag  # open it or fire its triggers
    assert {"ifk", "ifk_reha"} <= neuantrag  # they get the Fallübernahme task with its link
    assert "schlichtungsstelle" not in neuantrag and PARTICIPANT not in neuantrag and SYSTEM not in neuantrag
    assert reader_roles(PROCESSES["schlichtung"]) == {"schlichtungsstelle", "ifk", "ifk_reha", "teamleitung"}
    assert all("teamleitung" in reader_roles(p) for p in PROCESSES.values())


# --- through the HTTP API --------------------------------------------------------------------


async def test_fire_every_trigger_with_every_role_refuses_exactly_the_undeclared_roles(api: Api):
    """On an ended case the API checks the role before the state: 403 for an undeclared role
    (listing the declared ones), 422 (payload) or 409 (ended) for a declared one; 404 for a
    role that may not even read the case (its existence is not revealed). The suite pins
    buergergeld_2023 (tests/conftest.py): the triggers of that regime's variant of each process."""
    cases = await api.final_cases()
    assert set(cases) == set(PROCESSES)
    mismatches, fired = [], 0
    for name, case_id in sorted(cases.items()):
        for trigger in for_regime(PROCESSES[name], LEGACY).triggers:
            declared = sorted(trigger.roles - {SYSTEM})
            for role in ROLES:
                body = {"trigger": trigger.name, "data": {}}
                r = await api.http.post(f"/cases/{case_id}/transitions", json=body, headers=api.who(role, case_id))
                fired += 1
                readable = role == PARTICIPANT or role in reader_roles(PROCESSES[name])
                if role in trigger.roles:
                    ok = r.status_code in (409, 422) and r.json()["type"] != "/problems/unknown-trigger"
                elif not readable:  # a case the caller may not read answers like an unknown one
                    ok = r.status_code == 404 and r.json()["type"] == "/problems/not-found"
                else:
                    ok = r.status_code == 403 and r.json().get("roles") == declared
                if not ok:
                    mismatches.append(f"{name}.{trigger.name} as {role}: {r.status_code} {r.text[:120]}")
    assert not mismatches, f"{len(mismatches)} of {fired} differ from the declarations:\n" + "\n".join(mismatches)
    assert fired == len(ROLES) * sum(len(for_regime(p, LEGACY).triggers) for p in PROCESSES.values())


async def test_start_every_process_with_every_role_refuses_exactly_the_undeclared_roles(http):
    """Facts that no process accepts: a declared role passes the role check and gets 422."""
    mismatches = []
    for name, process in sorted(PROCESSES.items()):
        for role in ROLES:
            body = {"process": name, "person": PERSON, "facts": {"kein_fakt": True}}
            r = await http.post("/cases", json=body, headers={"Authorization": f"Bearer tok-{role}"})
            expected = "/problems/invalid-facts" if role in process.start_roles else "/problems/role-not-allowed"
            if r.json().get("type") != expected:
                mismatches.append(f"{name} as {role}: {r.status_code} {r.text[:120]}")
    assert not mismatches, "\n".join(mismatches)
