"""rechtskreiswechsel: every row of its table, its three timers (R30 invitation, attendance
reminder, R32 deadline) and the Neuantrag it opens (R34), whose R8 timer runs from
antrag_eingegangen both ways (identity checked or not, R10)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import update

from persistence.rechtskreiswechsel import GEPLANT, Infoveranstaltung
from statemachines import Policy
from statemachines.policy import InfoKalender, InfoStandort
from statemachines.rechtskreiswechsel import minus_monate
from tests.cases import fire, snapshot
from tests.histories.recorder import Recorder, scenario
from tests.rkw_support import GEVELSBERG, event_begun, eventually, in_state, now, plus_monate

EINGELADEN = "zur_infoveranstaltung_eingeladen"
DOKUMENTE = {"dokumente": [{"art": "alg1_bescheid", "datum": "2026-11-02"}]}
# A location whose calendar rule never yields an event (there is no sixth Tuesday): no free place.
TESTORT = "Testort"
OHNE_TERMINE = Policy(
    rkw_kalender=InfoKalender(
        standorte=(InfoStandort(name=TESTORT, adresse="Testadresse", raum="Testraum", wochentag=1, wochen=(6,)),)
    )
)


async def _start(rec: Recorder, name: str, months_ahead: int, standort: str = GEVELSBERG, policy: Policy | None = None):
    alg1_ende = plus_monate((await now(rec.env)).date(), months_ahead)
    facts = {"alg1_ende": alg1_ende.isoformat(), "standort": standort}
    return await rec.start("rechtskreiswechsel", name, facts, policy=policy)


async def _invited(rec: Recorder, name: str, **kw):
    """Registered two months before ALG I ends: the R30 timer is due at once."""
    h = await _start(rec, name, 2, **kw)
    return h, await in_state(h, EINGELADEN)


async def _child(rec: Recorder, parent) -> object:
    done = await snapshot(parent)
    return rec.handle(f"neuantrag-{done.links['neuantrag']}")


async def _past_alg1_ende(rec: Recorder, snap) -> None:
    alg1_ende = datetime.fromisoformat(snap.facts["alg1_ende"]).date()
    await rec.env.sleep(datetime.combine(alg1_ende, time(0), tzinfo=UTC) - await now(rec.env) + timedelta(days=8))


async def _add_event(rec: Recorder, standort: str, days_ahead: int) -> int:
    """What the team lead's POST /infoveranstaltungen does: one event with one place."""
    stamp = await now(rec.env)
    event = Infoveranstaltung(
        standort=standort,
        beginn=stamp + timedelta(days=days_ahead),
        dauer_minuten=90,
        adresse="Testadresse",
        raum="Testraum",
        kapazitaet=1,
        belegt=0,
        status=GEPLANT,
        created_at=stamp,
        updated_at=stamp,
    )
    async with rec.db.unit_of_work() as session:
        session.add(event)
        await session.flush()
        return event.id


async def _cancel(rec: Recorder, event_id: int) -> None:
    async with rec.db.unit_of_work() as session:
        await session.execute(
            update(Infoveranstaltung).where(Infoveranstaltung.id == event_id).values(status="abgesagt")
        )


@scenario("rechtskreiswechsel", "vorgemerkt_wechsel_neuantrag")
async def vorgemerkt_wechsel_neuantrag(rec: Recorder, name: str):
    """R30 after months of waiting; R34: the Neuantrag (identity not checked) waits for the EGS."""
    start = await now(rec.env)
    h = await _start(rec, name, 5)
    alg1_ende = datetime.fromisoformat((await snapshot(h)).facts["alg1_ende"]).date()
    due = datetime.combine(minus_monate(alg1_ende, 3), time(8, 0), tzinfo=UTC) - Policy().rkw_einladung_vorlauf
    await rec.env.sleep(due - start + timedelta(days=1))
    invited = await in_state(h, EINGELADEN)
    await event_begun(rec.env, invited.facts)  # R32: attendance only once the event has begun
    await fire(h, "teilgenommen")
    await fire(h, "beratung_vereinbart", {"termin": (await now(rec.env) + timedelta(days=7)).isoformat()})
    await fire(h, "beratung_durchgefuehrt")
    done = await fire(h, "wechsel_vollzogen", DOKUMENTE)
    kid = await _child(rec, h)
    await in_state(kid, "antrag_eingegangen")
    await _past_alg1_ende(rec, done)
    await eventually(lambda: snapshot(kid), lambda s: s.sequence == 1)  # invited, still with the EGS (R10)
    assert (await snapshot(kid)).state == "antrag_eingegangen"
    return {"": h, "neuantrag": kid}


@scenario("rechtskreiswechsel", "wechsel_neuantrag_identitaet")
async def wechsel_neuantrag_identitaet(rec: Recorder, name: str):
    """R34: identity checked before ALG I ends: the invitation hands the Neuantrag to Clearing."""
    h, invited = await _invited(rec, name)
    await event_begun(rec.env, invited.facts)
    await fire(h, "teilgenommen")
    done = await fire(h, "wechsel_vollzogen", DOKUMENTE)
    kid = await _child(rec, h)
    await in_state(kid, "antrag_eingegangen")
    await fire(kid, "identitaet_bestaetigt")
    await _past_alg1_ende(rec, done)
    await in_state(kid, "clearing_offen")
    return {"": h, "neuantrag": kid}


@scenario("rechtskreiswechsel", "teilnahme_offen_kein_wechsel")
async def teilnahme_offen_kein_wechsel(rec: Recorder, name: str):
    """The attendance reminder after the event, then a no-show books the next event (R33)."""
    h, invited = await _invited(rec, name)
    termin = datetime.fromisoformat(invited.facts["veranstaltung_termin"])
    await rec.env.sleep(termin - await now(rec.env) + timedelta(days=2))
    await eventually(lambda: snapshot(h), lambda s: s.sequence == 2)
    assert (await fire(h, "nicht_erschienen")).state == EINGELADEN
    assert (await fire(h, "kein_wechsel_erforderlich")).state == "kein_wechsel"
    return {"": h}


@scenario("rechtskreiswechsel", "versaeumnisse_klaerung_team")
async def versaeumnisse_klaerung_team(rec: Recorder, name: str):
    """R33: at the threshold the team decides; counselling is agreed from klaerung_team."""
    h, _ = await _invited(rec, name, policy=Policy(rkw_max_versaeumnisse=2))
    await fire(h, "nicht_erschienen")
    assert (await fire(h, "nicht_erschienen")).state == "klaerung_team"
    await fire(h, "beratung_vereinbart", {"termin": (await now(rec.env) + timedelta(days=7)).isoformat()})
    assert (await fire(h, "beratung_durchgefuehrt")).state == "beraten"
    assert (await fire(h, "kein_wechsel_erforderlich")).state == "kein_wechsel"
    return {"": h}


@scenario("rechtskreiswechsel", "abgesagt_beratungsfrist")
async def abgesagt_beratungsfrist(rec: Recorder, name: str):
    """R31: a cancelled event moves the case to the next; R32: the missed deadline marks it overdue."""
    h, invited = await _invited(rec, name)
    await _cancel(rec, invited.facts["veranstaltung_id"])
    moved = await fire(h, "veranstaltung_abgesagt")
    assert moved.state == EINGELADEN
    await event_begun(rec.env, moved.facts)
    await fire(h, "teilgenommen")
    await rec.env.sleep(timedelta(weeks=4, days=1))
    await eventually(lambda: snapshot(h), lambda s: s.overdue)
    assert (await fire(h, "beratung_durchgefuehrt")).state == "beraten"
    assert (await fire(h, "kein_wechsel_erforderlich")).state == "kein_wechsel"
    return {"": h}


@scenario("rechtskreiswechsel", "kein_platz_klaerung_team")
async def kein_platz_klaerung_team(rec: Recorder, name: str):
    """R31 without a free place: to the team each time; the team lead invites once an event exists."""
    h = await _start(rec, name, 2, standort=TESTORT, policy=OHNE_TERMINE)
    await in_state(h, "klaerung_team")
    await _add_event(rec, TESTORT, 14)
    assert (await fire(h, "einladen", role="teamleitung")).state == EINGELADEN
    assert (await fire(h, "nicht_erschienen")).state == "klaerung_team"
    second = await _add_event(rec, TESTORT, 21)
    await fire(h, "einladen", role="teamleitung")
    await _cancel(rec, second)
    assert (await fire(h, "veranstaltung_abgesagt")).state == "klaerung_team"
    assert (await fire(h, "kein_wechsel_erforderlich")).state == "kein_wechsel"
    return {"": h}


@scenario("rechtskreiswechsel", "beratung_terminiert_frist")
async def beratung_terminiert_frist(rec: Recorder, name: str):
    """R32: counselling booked ten weeks out does not meet the deadline (from the event); held, it ends it."""
    h, invited = await _invited(rec, name)
    await event_begun(rec.env, invited.facts)
    await fire(h, "teilgenommen")
    await fire(h, "beratung_vereinbart", {"termin": (await now(rec.env) + timedelta(weeks=10)).isoformat()})
    await rec.env.sleep(timedelta(weeks=4, hours=1))
    late = await eventually(lambda: snapshot(h), lambda s: s.overdue)
    assert late.state == "beratung_terminiert"
    assert (await fire(h, "beratung_durchgefuehrt")).state == "beraten"
    assert (await fire(h, "kein_wechsel_erforderlich")).state == "kein_wechsel"
    return {"": h}
