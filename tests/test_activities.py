"""record_transition on SQLite and PostgreSQL: one transaction, idempotent, tasks and letters."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from jinja2 import UndefinedError
from temporalio.testing import ActivityEnvironment

from activities import CaseActivities
from notifications import TEMPLATES, render
from persistence import models as m
from persistence.db import Database
from statemachines.registry import PROCESSES
from tests.cases import count, rows
from tests.dbfixtures import add_person
from workflows.messages import DeadlineInfo, RecordResult, TaskInfo, TransitionRecord

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
FACTS = {"antragsweg": "persoenlich", "rehabilitand": False, "alg1_ende": None, "bewilligt": False}
TERMIN = TaskInfo(kind="clearingtermin", role="jobcoach", title="Clearingtermin wahrnehmen", priority=2, due=T0)
UEBERNAHME = TaskInfo(kind="fallubernahme", role="ifk", title="Fall übernehmen", priority=5, due=T0)


def record(case_id: str, sequence: int, trigger: str, source: str | None, dest: str, **fields) -> TransitionRecord:
    values = {
        "case_id": case_id,
        "process": "neuantrag",
        "sequence": sequence,
        "trigger": trigger,
        "source": source,
        "dest": dest,
        "entered": True,
        "role": "jobcoach",
        "facts": FACTS,
        "occurred_at": T0 + timedelta(days=sequence),
    }
    return TransitionRecord(**(values | fields))


def start(case_id: str, person_id: str | None = None, **fields) -> TransitionRecord:
    return record(case_id, 0, "fall_angelegt", None, "antrag_eingegangen", role="system", person_id=person_id, **fields)


def termin(case_id: str, sequence: int = 1, source: str = "clearing_offen", **fields) -> TransitionRecord:
    defaults = {"data": {"termin": "2025-01-20T08:30:00Z"}, "letters": ["einladung_clearing"], "tasks": [TERMIN]}
    return record(case_id, sequence, "clearingtermin_vereinbart", source, "clearing_terminiert", **(defaults | fields))


@dataclass
class World:
    """A database on one backend, the activities on it, and a started case of a known person."""

    db: Database
    acts: CaseActivities
    case_id: str

    async def record(self, rec: TransitionRecord) -> RecordResult:
        return await self.acts.record_transition(rec)


@pytest.fixture
async def world(database: Database) -> World:
    acts, case_id = CaseActivities(database), uuid.uuid4().hex[:12]
    await acts.record_transition(start(case_id, await add_person(database)))
    return World(database, acts, case_id)


async def counts(db: Database, case_id: str) -> tuple[int, ...]:
    """Events, outbox rows and tasks of a case."""
    return tuple([await count(db, model, case_id=case_id) for model in (m.CaseEvent, m.Notification, m.Task)])


async def add_request(
    db: Database, case_id: str, actor: str, comment: str | None, trigger: str = "clearingtermin_vereinbart"
) -> str:
    """A request row; record_transition takes actor and comment from it only for its case and trigger."""
    request_id = str(uuid.uuid4())
    async with db.unit_of_work() as session:
        session.add(
            m.TransitionRequest(
                request_id=request_id,
                case_id=case_id,
                actor=actor,
                role="jobcoach",
                trigger=trigger,
                comment=comment,
                idempotency_key=request_id,
                fingerprint="f" * 64,
                created_at=T0,
            )
        )
    return request_id


async def test_record_transition_start_creates_case_row(world: World):
    due = DeadlineInfo(trigger="kontaktaufnahme_faellig", label="ohne Termin", due=T0 + timedelta(days=7))
    result = await world.record(start("c-1", deadlines=[due], links={"rechtskreiswechsel": "r-1"}))
    [case] = await rows(world.db, m.Case, case_id="c-1")
    [event] = await rows(world.db, m.CaseEvent, case_id="c-1")
    assert result.written is True
    assert (case.state, case.version, case.workflow_id) == ("antrag_eingegangen", 0, "neuantrag-c-1")
    assert case.links == {"rechtskreiswechsel": "r-1"}
    assert case.deadlines["items"][0]["trigger"] == "kontaktaufnahme_faellig"
    assert (event.sequence, event.from_state, event.actor, event.role) == (0, None, "system", "system")


async def test_record_transition_start_already_recorded_by_api_is_noop(world: World):
    result = await world.record(start(world.case_id))
    assert result.written is False
    assert await counts(world.db, world.case_id) == (1, 0, 0)


async def test_record_transition_writes_event_read_model_task_and_letter(world: World):
    due = DeadlineInfo(trigger="x", label="x", due=T0 + timedelta(days=30))
    result = await world.record(termin(world.case_id, facts=FACTS | {"bewilligt": True}, deadlines=[due], overdue=True))
    [case] = await rows(world.db, m.Case, case_id=world.case_id)
    [task] = await rows(world.db, m.Task, case_id=world.case_id)
    [letter] = await rows(world.db, m.Notification, case_id=world.case_id)
    assert result.written is True
    assert (case.state, case.version, case.facts["bewilligt"], case.overdue) == ("clearing_terminiert", 1, True, True)
    assert case.deadline.astimezone(UTC) == T0 + timedelta(days=30)
    assert (task.kind, task.state, task.sequence, task.status) == ("clearingtermin", "clearing_terminiert", 1, "offen")
    assert (letter.template, letter.channel, letter.status, letter.sequence) == (
        "einladung_clearing",
        "brief",
        "ausstehend",
        1,
    )
    assert "Ihr Termin: 20.01.2025 um 09:30 Uhr" in letter.body


async def test_record_transition_same_record_twice_writes_nothing_twice(world: World):
    await world.record(termin(world.case_id))
    before = await counts(world.db, world.case_id)
    result = await world.record(termin(world.case_id))
    assert result.written is False
    assert await counts(world.db, world.case_id) == before == (2, 1, 1)


async def test_record_transition_concurrent_duplicates_write_once(world: World):
    results = await asyncio.gather(*(world.record(termin(world.case_id)) for _ in range(2)))
    assert sorted(r.written for r in results) == [False, True]
    assert await counts(world.db, world.case_id) == (2, 1, 1)
    [event] = await rows(world.db, m.CaseEvent, case_id=world.case_id, sequence=1)
    assert [r.hash for r in results] == [event.hash, event.hash]


async def test_record_transition_returns_the_event_hash_also_when_retried(world: World):
    """The chain head the workflow keeps as its anchor (README "Anchors"): a retry, even one after
    later events, reports the hash the event was recorded with."""
    first = await world.record(termin(world.case_id))
    later = await world.record(record(world.case_id, 2, "arbeit_aufgenommen", "clearing_terminiert", "integriert"))
    events = {e.sequence: e.hash for e in await rows(world.db, m.CaseEvent, case_id=world.case_id)}
    assert (first.written, first.hash, later.hash) == (True, events[1], events[2])
    assert (await world.record(termin(world.case_id))).hash == events[1]
    assert (await world.record(record(world.case_id, 2, "arbeit_aufgenommen", "x", "integriert"))).hash == events[2]
    assert RecordResult.model_validate({"written": True}).hash is None  # results of old histories


async def test_record_transition_unknown_template_rolls_back_everything(world: World):
    with pytest.raises(KeyError):
        await world.record(termin(world.case_id, letters=["einladung_clearing", "gibt_es_nicht"]))
    [case] = await rows(world.db, m.Case, case_id=world.case_id)
    assert await counts(world.db, world.case_id) == (1, 0, 0)
    assert (case.state, case.version) == ("antrag_eingegangen", 0)


async def test_record_transition_leaving_state_closes_its_tasks(world: World):
    await world.record(termin(world.case_id, source="antrag_eingegangen"))
    await world.record(record(world.case_id, 2, "gruppencoaching_zugesagt", "clearing_terminiert", "gruppencoaching"))
    [task] = await rows(world.db, m.Task, case_id=world.case_id)
    assert (task.status, task.closed_by_sequence) == ("erledigt", 2)
    assert task.closed_at.astimezone(UTC) == T0 + timedelta(days=2)


async def test_record_transition_internal_keeps_tasks_open(world: World):
    await world.record(termin(world.case_id, source="antrag_eingegangen"))
    await world.record(
        record(
            world.case_id, 2, "kontaktversuch_gescheitert", "clearing_terminiert", "clearing_terminiert", entered=False
        )
    )
    [task] = await rows(world.db, m.Task, case_id=world.case_id)
    assert (task.status, task.closed_at) == ("offen", None)


async def test_record_transition_reentering_state_replaces_its_task(world: World):
    await world.record(termin(world.case_id))
    await world.record(termin(world.case_id, 2, source="clearing_terminiert"))
    tasks = await rows(world.db, m.Task, case_id=world.case_id)
    assert [(t.sequence, t.status) for t in tasks] == [(1, "erledigt"), (2, "offen")]


async def test_record_transition_final_closes_all_open_tasks(world: World):
    await world.record(termin(world.case_id))
    await world.record(
        record(world.case_id, 2, "antrag_zurueckgenommen", "clearing_offen", "beendet", role="egs", final=True)
    )
    [task] = await rows(world.db, m.Task, case_id=world.case_id)
    [case] = await rows(world.db, m.Case, case_id=world.case_id)
    assert task.status == "erledigt"
    assert (case.state, case.final) == ("beendet", True)


async def test_record_transition_takes_actor_and_comment_from_request(world: World):
    request_id = await add_request(world.db, world.case_id, "jc.meier", "Termin telefonisch abgestimmt")
    await world.record(termin(world.case_id, request_id=request_id))
    [_, event] = await rows(world.db, m.CaseEvent, case_id=world.case_id)
    assert (event.actor, event.role, event.comment) == ("jc.meier", "jobcoach", "Termin telefonisch abgestimmt")


async def test_record_transition_never_takes_a_request_of_another_case_or_trigger(world: World):
    """A request id is bound to its case and trigger (issue 13, item 2)."""
    foreign = await add_request(world.db, world.case_id, "jc.meier", "Notiz", trigger="antrag_abgelehnt")
    await world.record(termin(world.case_id, request_id=foreign))
    [_, event] = await rows(world.db, m.CaseEvent, case_id=world.case_id)
    [request] = await rows(world.db, m.TransitionRequest, request_id=foreign)
    assert (event.actor, event.comment, request.status_code) == ("unbekannt", None, None)


async def test_record_transition_without_request_records_unknown_actor(world: World):
    await world.record(termin(world.case_id))
    [_, event] = await rows(world.db, m.CaseEvent, case_id=world.case_id)
    assert (event.actor, event.comment, event.data) == ("unbekannt", None, {"termin": "2025-01-20T08:30:00Z"})


async def test_record_transition_fallubergabe_lists_last_five_events_with_comments(world: World):
    steps = [
        ("an_clearing_uebergeben", "Warm übergeben"),
        ("kontaktversuch_gescheitert", "Telefon: nicht erreicht"),
        ("gruppencoaching_abgelehnt", "Möchte lieber allein suchen"),
        ("kontaktversuch_gescheitert", None),
    ]
    for sequence, (trigger, comment) in enumerate(steps, start=1):
        request_id = await add_request(world.db, world.case_id, "jc.meier", comment, trigger)
        await world.record(
            record(world.case_id, sequence, trigger, "clearing_offen", "clearing_offen", request_id=request_id)
        )
    await world.record(
        record(
            world.case_id,
            5,
            "leistung_bewilligt",
            "clearing_betreuung",
            "an_ifk_uebergeben",
            role="leistung",
            final=True,
            letters=["fallubergabe"],
            tasks=[UEBERNAHME],
        )
    )
    [block] = await rows(world.db, m.Notification, case_id=world.case_id)
    assert (block.channel, block.subject) == ("akte", "Fallübergabe")
    assert "Fallübergabe an IFK" in block.body and f"Fallnummer: {world.case_id}" in block.body
    assert "Fall angelegt" not in block.body  # event 0 is the sixth-last
    assert "Telefon: nicht erreicht" in block.body and "Möchte lieber allein suchen" in block.body
    assert "Gruppencoaching abgelehnt (Jobcoach)" in block.body
    assert "- 11.01.2025: Leistung bewilligt (Leistungsabteilung)" in block.body


async def test_record_transition_letter_addresses_person_in_german(world: World):
    await world.record(termin(world.case_id))
    [letter] = await rows(world.db, m.Notification, case_id=world.case_id)
    assert letter.subject == "Einladung zum Clearinggespräch"
    assert "Guten Tag Erika Mustermann," in letter.body
    assert "Hagener Straße 12\n58285 Gevelsberg" in letter.body
    assert "Datum: 07.01.2025" in letter.body and "Mit freundlichen Grüßen" in letter.body
    assert "Rechtsfolge" not in letter.body


async def test_record_transition_letter_without_person_uses_placeholders(world: World):
    await world.record(start("c-1", person_id="unbekannt"))
    await world.record(termin("c-1"))
    [letter] = await rows(world.db, m.Notification, case_id="c-1")
    assert "Guten Tag [Name unbekannt]," in letter.body


async def test_record_transition_alg1_letter_mentions_end_date(world: World):
    await world.record(
        record(
            world.case_id,
            1,
            "alg1_ende_erreicht",
            "alg1_wiedervorlage",
            "clearing_offen",
            role="system",
            facts=FACTS | {"alg1_ende": "2025-03-31"},
            letters=["einladung_alg1_ende"],
        )
    )
    [letter] = await rows(world.db, m.Notification, case_id=world.case_id)
    assert "bis zum 31.03.2025" in letter.body


async def test_record_transition_stale_record_writes_nothing(world: World):
    # The workflow records in sequence order, so an event at or below the case's last
    # sequence is already recorded: appending it would break the hash chain.
    await world.record(termin(world.case_id, 2))
    result = await world.record(
        record(world.case_id, 1, "an_clearing_uebergeben", "antrag_eingegangen", "clearing_offen")
    )
    [case] = await rows(world.db, m.Case, case_id=world.case_id)
    assert result.written is False
    assert (case.state, case.version) == ("clearing_terminiert", 2)
    assert [e.sequence for e in await rows(world.db, m.CaseEvent, case_id=world.case_id)] == [0, 2]


async def test_record_transition_runs_in_activity_environment(world: World):
    result = await ActivityEnvironment().run(world.acts.record_transition, termin(world.case_id))
    assert result.written is True


def test_render_unknown_template_raises_key_error():
    with pytest.raises(KeyError):
        render("gibt_es_nicht", {})


def test_render_every_declared_letter_is_registered():
    declared = {letter for p in PROCESSES.values() for t in p.transitions for letter in t.letters}
    assert declared <= set(TEMPLATES)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_render_template_missing_value_raises(name: str):
    with pytest.raises(UndefinedError):
        render(name, {})
