"""gruppencoaching: every row of its table and the Probezeit timer; gc_sitzung: the R21 check
with too few and with enough bookings (timer, then activity), and with its time already past
(activity only)."""

from __future__ import annotations

from datetime import timedelta

from persistence import gruppencoaching as gc
from tests.cases import case_id_of, fire
from tests.histories.recorder import Recorder, scenario
from tests.rkw_support import in_state, now
from workflows.sessions import SitzungErgebnis, SitzungInput, sitzung_workflow_id

TERMIN = {"termin": "2026-12-01T10:00:00+01:00"}


async def _start(rec: Recorder, name: str, **facts):
    return await rec.start("gruppencoaching", name, facts)


async def _in_probezeit(rec: Recorder, name: str):
    h = await _start(rec, name)
    await fire(h, "uebergabe_vereinbart", TERMIN, role="ifk")
    await fire(h, "probezeit_begonnen", role="ifk")
    await rec.env.sleep(timedelta(days=15))
    return h, await in_state(h, "probezeit_beendet")


@scenario("gruppencoaching", "probezeit_verbleib_beendet")
async def probezeit_verbleib_beendet(rec: Recorder, name: str):
    """R26 facts recorded, the Übergabegespräch moved once, Probezeit expires, the case stays (R24)."""
    h = await _start(rec, name)
    await fire(
        h, "voraussetzungen_erfasst", {"jugendlich": True, "schulpflicht_erfuellt": True, "sucht_erstausbildung": False}
    )
    await fire(h, "uebergabe_vereinbart", TERMIN, role="ifk")
    await fire(h, "uebergabe_vereinbart", {"termin": "2026-12-03T10:00:00+01:00"}, role="jobcoach")
    await fire(h, "probezeit_begonnen", role="jobcoach")
    await rec.env.sleep(timedelta(days=15))
    await in_state(h, "probezeit_beendet")
    assert (await fire(h, "verbleib_vereinbart")).state == "teilnahme"
    assert (await fire(h, "gruppencoaching_beendet")).state == "abgeschlossen"
    return {"": h}


@scenario("gruppencoaching", "probezeit_rueckgabe_ifk")
async def probezeit_rueckgabe_ifk(rec: Recorder, name: str):
    h, _ = await _in_probezeit(rec, name)
    assert (await fire(h, "an_ifk_zurueckgegeben")).state == "rueckgabe_ifk"
    return {"": h}


@scenario("gruppencoaching", "jobturbo_teilnahme_arbeit")
async def jobturbo_teilnahme_arbeit(rec: Recorder, name: str):
    """R25: a Jobturbo case, straight into the group without Probezeit, then work."""
    h = await _start(rec, name, jobturbo=True)
    await fire(h, "uebergabe_vereinbart", TERMIN, role="ifk")
    assert (await fire(h, "teilnahme_begonnen", role="jobcoach")).state == "teilnahme"
    assert (await fire(h, "arbeit_aufgenommen", role="jobcoach")).state == "abgeschlossen"
    return {"": h}


@scenario("gruppencoaching", "angebot_abgelehnt")
async def angebot_abgelehnt(rec: Recorder, name: str):
    h = await _start(rec, name)
    assert (await fire(h, "angebot_abgelehnt", role="ifk")).state == "nicht_angenommen"
    return {"": h}


# --- gc_sitzung ------------------------------------------------------------------------------


async def _sitzung(rec: Recorder, *, days_ahead: float, minimum: int, booked: list[str] = ()) -> object:
    """A planned session as POST /sitzungen/plan stores it, with bookings, and its check workflow."""
    stamp = await now(rec.env)
    beginn = stamp + timedelta(days=days_ahead)
    async with rec.db.unit_of_work() as session:
        row = gc.Sitzung(
            beginn=beginn,
            dauer_minuten=180,
            kapazitaet=12,
            min_teilnehmende=minimum,
            pruefung_um=beginn - timedelta(days=2),
            status=gc.GEPLANT,
            created_at=stamp,
        )
        session.add(row)
        await session.flush()
        session.add_all(gc.Buchung(sitzung_id=row.id, case_id=c, gebucht_von="tn", gebucht_am=stamp) for c in booked)
        sitzung_id, pruefung_um = row.id, row.pruefung_um
    handle = await rec.client.start_workflow(
        "gc_sitzung",
        SitzungInput(sitzung_id=sitzung_id, pruefung_um=pruefung_um),
        id=sitzung_workflow_id(sitzung_id),
        task_queue=rec.worker.task_queue,
        result_type=SitzungErgebnis,
    )
    return rec.handle(handle.id)


async def _checked(rec: Recorder, handle, days: float) -> SitzungErgebnis:
    await rec.env.sleep(timedelta(days=days))
    return await rec.client.get_workflow_handle(handle.id, result_type=SitzungErgebnis).result()


@scenario("gruppencoaching", "sitzung_zu_wenige")
async def sitzung_zu_wenige(rec: Recorder, name: str):
    """R21: one booking of at least two: the Jobcoaches decide."""
    participant = await _start(rec, f"{name}-tn")
    await fire(participant, "uebergabe_vereinbart", TERMIN, role="ifk")
    await fire(participant, "teilnahme_begonnen", role="jobcoach")
    s = await _sitzung(rec, days_ahead=7, minimum=2, booked=[case_id_of(participant)])
    assert (await _checked(rec, s, 6)).entscheidung_noetig
    return {"": s}


@scenario("gruppencoaching", "sitzung_genug")
async def sitzung_genug(rec: Recorder, name: str):
    participant = await _start(rec, f"{name}-tn")
    await fire(participant, "uebergabe_vereinbart", TERMIN, role="ifk")
    await fire(participant, "teilnahme_begonnen", role="jobcoach")
    s = await _sitzung(rec, days_ahead=7, minimum=1, booked=[case_id_of(participant)])
    result = await _checked(rec, s, 6)
    assert (result.gebucht, result.entscheidung_noetig) == (1, False)
    return {"": s}


@scenario("gruppencoaching", "sitzung_pruefung_vorbei")
async def sitzung_pruefung_vorbei(rec: Recorder, name: str):
    """Planned less than the lead time ahead: the check runs at once, without a timer."""
    s = await _sitzung(rec, days_ahead=1, minimum=2)
    result = await rec.client.get_workflow_handle(s.id, result_type=SitzungErgebnis).result()
    assert result.entscheidung_noetig
    return {"": s}


@scenario("gruppencoaching", "erstgespraech_teilnahme")
async def erstgespraech_teilnahme(rec: Recorder, name: str):
    """Concept 5.2: the first talk with the Bestands-eLb documented on the case; the state stays."""
    h = await _start(rec, name)
    await fire(h, "uebergabe_vereinbart", TERMIN, role="ifk")
    assert (await fire(h, "erstgespraech_gefuehrt")).state == "uebergabe_terminiert"
    await fire(h, "teilnahme_begonnen", role="jobcoach")
    assert (await fire(h, "arbeit_aufgenommen", role="jobcoach")).state == "abgeschlossen"
    return {"": h}
