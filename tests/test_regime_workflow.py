"""Legal regimes in the workflows (R61–R63), on the time-skipping server: a Schlichtung begun under
the 2023 law running across the change (R62 default rule), a case under grundsicherung_2026 that
cannot request a Schlichtung and reaches pflichten_per_verwaltungsakt with its review timer (R63),
the alternative rule ending a Schlichtung, and a repeated change that changes nothing."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from persistence import models as m
from runtime import signing
from statemachines.regimes import Regime, Regimes
from tests.cases import case_id_of, current_details, fire, rows, snapshot, start_case
from tests.conftest import TEST_SIGNING, new_worker
from tests.kooperationsplan_support import child, draft, eventually_state
from tests.support_workflows import ShortHistoryKooperationsplan
from worker.regime_switch import send_regime_switch
from workflows import search_attributes as sa
from workflows.messages import CaseSnapshot, RegimeWechsel
from workflows.processes import WORKFLOWS

pytestmark = pytest.mark.usefixtures("end_all_cases")
CATALOGUE = Regimes.load()
OLD, NEW = CATALOGUE.get("buergergeld_2023"), CATALOGUE.get("grundsicherung_2026")
STICHTAG = date(2026, 7, 1)


@pytest.fixture
async def worker(client, sqlite_db):
    async with new_worker(client, db=sqlite_db, workflows=[*WORKFLOWS.values(), ShortHistoryKooperationsplan]) as w:
        yield w


async def _plan(client, worker, regime: Regime):
    h = await start_case(
        client, worker.task_queue, {}, process="kooperationsplan", policy=regime.policy(), regime=regime
    )
    await fire(h, "potenzialanalyse_abgeschlossen")
    return h


async def _switch(client, handle, regel: str = "wechsel", target: Regime = NEW) -> CaseSnapshot:
    request = RegimeWechsel(regime=target, policy=target.policy(), regel=regel, stichtag=STICHTAG)
    return await send_regime_switch(client, TEST_SIGNING, handle.id, request, f"regime-{target.name}-{handle.id}", 30)


async def _refusal(handle, trigger, data=None):
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await fire(handle, trigger, data)
    return refused.value.cause


async def _events(db, handle) -> list[m.CaseEvent]:
    return sorted(await rows(db, m.CaseEvent, case_id=case_id_of(handle)), key=lambda e: e.sequence)


async def test_schlichtung_begun_under_the_old_law_runs_across_the_change(client, worker, env, sqlite_db):
    """R62 default: the Schlichtung runs to its end under buergergeld_2023; its plan case moves to
    grundsicherung_2026 at once, takes the Schlichtung's end in and may then set duties by VA (R63)."""
    parent = await _plan(client, worker, OLD)
    kid = child(client, await fire(parent, "schlichtung_beantragt", {"initiiert_von": "elb"}))
    assert (await snapshot(kid)).regime == "buergergeld_2023"  # the child inherits its plan's regime

    moved = await _switch(client, parent)
    assert (moved.regime, moved.state) == ("grundsicherung_2026", "in_schlichtung")
    assert (await snapshot(kid)).regime == "buergergeld_2023"
    *before, change = await _events(sqlite_db, parent)
    assert {e.regime for e in before} == {"buergergeld_2023"}
    assert (change.trigger, change.from_state, change.to_state, change.regime) == (
        "regime_gewechselt",
        "in_schlichtung",
        "in_schlichtung",
        "grundsicherung_2026",
    )
    assert change.data == {
        "von": "buergergeld_2023",
        "nach": "grundsicherung_2026",
        "regel": "wechsel",
        "stichtag": "2026-07-01",
    }
    [row] = await rows(sqlite_db, m.Case, case_id=case_id_of(parent))
    assert row.regime == "grundsicherung_2026"
    for _ in range(100):  # the upsert is a command of the same workflow task: allow the server a moment
        shown = (await parent.describe()).typed_search_attributes.get(sa.REGIME)
        if shown == "grundsicherung_2026":
            break
        await asyncio.sleep(0.05)
    assert shown == "grundsicherung_2026"

    await env.sleep(timedelta(weeks=4, days=1))  # R54 under the old law: the limit ends it
    assert (await snapshot(kid)).state == "frist_abgelaufen"
    ohne = await eventually_state(parent, "ohne_plan")
    assert ohne.regime == "grundsicherung_2026"
    duties = await fire(parent, "verwaltungsakt_erlassen", {"anlass": "kein_plan_vereinbart"})
    assert duties.state == "pflichten_per_verwaltungsakt"
    letters = await rows(sqlite_db, m.Notification, case_id=case_id_of(parent))
    assert [n.template for n in letters] == ["pflichten_verwaltungsakt"]
    assert "Rechtsfolgenbelehrung" in letters[0].body


async def test_case_under_the_new_law_reaches_duties_by_verwaltungsakt(client, worker, env, sqlite_db):
    """R62: no Schlichtung; R63: the first invitation with RFB, duties by VA with RFB, reviewed like
    R42, and an agreed plan (without RFB) replaces them."""
    h = await start_case(client, worker.task_queue, {}, process="kooperationsplan", policy=NEW.policy(), regime=NEW)
    invited = await fire(h, "potenzialanalyse_einladung_mit_rfb", {"termin": "2027-01-12T09:00:00+01:00"})
    assert invited.state == "potenzialanalyse"
    again = await _refusal(h, "potenzialanalyse_einladung_mit_rfb", {"termin": "2027-01-19T09:00:00+01:00"})
    assert "R63" in again.message  # only the first invitation
    await fire(h, "potenzialanalyse_abgeschlossen")
    refused = await _refusal(h, "schlichtung_beantragt", {"initiiert_von": "elb"})
    assert refused.type == "InvalidPayload" and "schlichtung_beantragt" in refused.message
    assert "schlichtung_beantragt" not in (await snapshot(h)).facts
    await fire(h, "keine_einigung")
    va = await fire(h, "verwaltungsakt_erlassen")
    assert (va.state, va.facts["verwaltungsakte"], va.regime) == (
        "pflichten_per_verwaltungsakt",
        1,
        "grundsicherung_2026",
    )
    [review] = va.deadlines
    assert review.trigger == "ueberpruefung_faellig"
    details = await current_details(h)  # the Temporal UI's current details name the regime
    assert "Rechtsstand: Neue Grundsicherung (ab 01.07.2026) (`grundsicherung_2026`)" in details

    await env.sleep(timedelta(days=186))  # R42 like: six months after the act
    for _ in range(100):  # the earlier steps' tasks (R17) are closed; the review is the one open
        tasks = await rows(sqlite_db, m.Task, case_id=case_id_of(h), status="offen")
        if tasks:
            break
    assert [t.kind for t in tasks] == ["kp_va_ueberpruefen"]
    assert (await snapshot(h)).state == "pflichten_per_verwaltungsakt"

    agreed = await fire(h, "plan_vereinbart", await draft(sqlite_db, case_id_of(h)))
    assert (agreed.state, agreed.facts["plan_in_kraft"], agreed.facts["verwaltungsakt_seit"]) == ("aktiv", True, None)
    letters = {n.template: n.body for n in await rows(sqlite_db, m.Notification, case_id=case_id_of(h))}
    assert set(letters) == {"einladung_potenzialanalyse_rfb", "pflichten_verwaltungsakt", "kooperationsplan"}
    assert "Rechtsfolgenbelehrung" in letters["einladung_potenzialanalyse_rfb"]
    assert "Rechtsfolgenbelehrung" not in letters["kooperationsplan"]  # the plan stays without RFB (R63)
    assert {e.regime for e in await _events(sqlite_db, h)} == {"grundsicherung_2026"}


async def test_old_law_knows_neither_verwaltungsakt_nor_invitation_with_rfb(client, worker):
    """R43 under buergergeld_2023: no invitation with RFB; no duties by Verwaltungsakt."""
    h = await start_case(client, worker.task_queue, {}, process="kooperationsplan", policy=OLD.policy(), regime=OLD)
    cause = await _refusal(h, "potenzialanalyse_einladung_mit_rfb", {"termin": "2027-01-12T09:00:00+01:00"})
    assert cause.type == "InvalidPayload"
    await fire(h, "potenzialanalyse_abgeschlossen")
    await fire(h, "keine_einigung")
    assert (await _refusal(h, "verwaltungsakt_erlassen")).type == "InvalidPayload"
    assert (await snapshot(h)).regime == "buergergeld_2023"


async def test_rule_beenden_ends_the_schlichtung_and_the_plan_goes_without_plan(client, worker, sqlite_db):
    """R62 alternative: the Schlichtung ends as durch_rechtsaenderung_beendet; the plan case (R56) goes
    to ohne_plan; each records the rule it applied."""
    parent = await _plan(client, worker, OLD)
    kid = child(client, await fire(parent, "schlichtung_beantragt", {"initiiert_von": "jobcenter"}))
    await _switch(client, parent)
    ended = await _switch(client, kid, "beenden")
    assert (ended.state, ended.final, ended.regime) == ("durch_rechtsaenderung_beendet", True, "buergergeld_2023")
    p = await eventually_state(parent, "ohne_plan")
    assert p.facts["schlichtung_ergebnis"] == "durch_rechtsaenderung_beendet"
    last = (await _events(sqlite_db, kid))[-1]
    assert (last.trigger, last.data["regel"], last.role) == ("durch_rechtsaenderung_beendet", "beenden", "system")


async def test_changing_twice_changes_nothing(client, worker, sqlite_db):
    h = await _plan(client, worker, OLD)
    first = await _switch(client, h)
    request = RegimeWechsel(regime=NEW, policy=NEW.policy(), regel="wechsel", stichtag=STICHTAG)
    again = await send_regime_switch(client, TEST_SIGNING, h.id, request, "another-update-id", 30)
    assert first.sequence == again.sequence and again.regime == "grundsicherung_2026"
    assert [e.trigger for e in await _events(sqlite_db, h)].count("regime_gewechselt") == 1
    # and under the new regime the Schlichtung is gone (R62)
    assert (await _refusal(h, "schlichtung_beantragt", {"initiiert_von": "elb"})).type == "InvalidPayload"


async def test_regime_moved_to_is_carried_over_at_continue_as_new(client, worker, sqlite_db):
    """The new regime is the case's input from the change on: the next run decides with it."""
    h = await start_case(
        client,
        worker.task_queue,
        {},
        process="kooperationsplan",
        policy=OLD.policy(),
        regime=OLD,
        workflow="kooperationsplan_kurze_historie",
    )
    await _switch(client, h)
    latest = client.get_workflow_handle(h.id, result_type=CaseSnapshot)
    for n in range(30):  # internal steps until the short history continues as new
        await fire(latest, "fachkraft_beteiligt", {"fachkraft": f"ifk-{n + 2}"})
        if (await latest.describe()).run_id != h.first_execution_run_id:
            break
    assert (await latest.describe()).run_id != h.first_execution_run_id
    assert (await snapshot(latest)).regime == "grundsicherung_2026"
    await fire(latest, "potenzialanalyse_abgeschlossen")
    assert (await _refusal(latest, "schlichtung_beantragt", {"initiiert_von": "elb"})).type == "InvalidPayload"
    await fire(latest, "keine_einigung")
    assert (await fire(latest, "verwaltungsakt_erlassen")).state == "pflichten_per_verwaltungsakt"


async def test_a_regime_change_from_the_temporal_port_without_the_commands_signature_is_refused(client, worker):
    """The update carries a whole regime and policy: unsigned, or signed for another case, it would
    let anyone at the Temporal port run a case under law of their own making (issue 13, item 2)."""
    h = await _plan(client, worker, OLD)
    before = await snapshot(h)
    forged = RegimeWechsel(regime=NEW, policy=NEW.policy(), regel="wechsel", stichtag=STICHTAG)
    with pytest.raises(WorkflowUpdateFailedError) as unsigned:
        await h.execute_update("regime_wechseln", forged, id="forged-1", result_type=CaseSnapshot)
    assert "signiert" in str(unsigned.value.cause)
    other = await _plan(client, worker, OLD)  # a correct signature for another case does not carry over
    issued_at = signing.issued_now()
    for_other = forged.model_copy(
        update={
            "issued_at": issued_at,
            "signature": TEST_SIGNING.sign(signing.regime_message(other.id, forged.signed_content(), issued_at)),
        }
    )
    with pytest.raises(WorkflowUpdateFailedError) as foreign:
        await h.execute_update("regime_wechseln", for_other, id="forged-2", result_type=CaseSnapshot)
    assert "signiert" in str(foreign.value.cause)
    assert (
        await other.execute_update("regime_wechseln", for_other, id="own", result_type=CaseSnapshot)
    ).regime == NEW.name
    assert (await snapshot(h)).regime == before.regime == OLD.name
