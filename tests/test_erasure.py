"""persistence.erasure on SQLite and PostgreSQL: all cases of the person, only when all are final."""

from __future__ import annotations

import pytest

from activities import CaseActivities
from persistence import audit_verify
from persistence import models as m
from persistence.db import Database
from persistence.erasure import MARKER, AlreadyErased, CasesStillOpen, erase
from tests.cases import rows
from tests.dbfixtures import add_person
from tests.test_activities import T0, TERMIN, add_request, record, start


async def _person_with_two_cases(db: Database) -> str:
    acts, person = CaseActivities(db), await add_person(db)
    for case_id in ("x-case", "y-case"):
        await acts.record_transition(start(case_id, person))
        request = await add_request(db, case_id, "egs-1", "Frau Mustermann hat angerufen", "an_clearing_uebergeben")
        await acts.record_transition(
            record(case_id, 1, "an_clearing_uebergeben", "antrag_eingegangen", "clearing_offen", request_id=request)
        )
    await acts.record_transition(record("x-case", 2, "arbeit_aufgenommen", "clearing_offen", "integriert", final=True))
    return person


async def test_erase_refused_while_another_case_of_the_person_is_open(database: Database):
    person = await _person_with_two_cases(database)
    with pytest.raises(CasesStillOpen) as refused:
        await erase(database, "x-case", "tl-1", "teamleitung")
    assert refused.value.case_ids == ["y-case"]
    assert len(await rows(database, m.Person, person_id=person)) == 1
    assert [e.comment for e in await rows(database, m.CaseEvent, case_id="x-case")][
        1
    ] == "Frau Mustermann hat angerufen"
    assert await rows(database, m.Erasure) == []


async def test_erase_all_cases_of_the_person_once_all_are_final(database: Database):
    person = await _person_with_two_cases(database)
    await CaseActivities(database).record_transition(
        record("y-case", 2, "antrag_zurueckgenommen", "clearing_offen", "beendet", final=True)
    )
    done = await erase(database, "y-case", "tl-1", "teamleitung")
    assert done.case_ids == ["x-case", "y-case"]
    assert {k: done.counts[k] for k in ("faelle", "personen", "kommentare", "anfragen")} == {
        "faelle": 2,
        "personen": 1,
        "kommentare": 2,
        "anfragen": 2,
    }
    assert await rows(database, m.Person, person_id=person) == []
    assert {c.person_id for c in await rows(database, m.Case)} == {None}
    assert {e.comment for e in await rows(database, m.CaseEvent)} == {None}
    assert {r.comment for r in await rows(database, m.TransitionRequest)} == {None}
    assert (await audit_verify.verify(database)).ok


async def test_erase_twice_is_refused_as_already_erased_and_records_nothing(database: Database):
    person = await _person_with_two_cases(database)
    await CaseActivities(database).record_transition(
        record("y-case", 2, "antrag_zurueckgenommen", "clearing_offen", "beendet", final=True)
    )
    done = await erase(database, "y-case", "tl-1", "teamleitung")
    for case_id in ("x-case", "y-case"):  # either case of the person: it is done
        with pytest.raises(AlreadyErased) as again:
            await erase(database, case_id, "tl-2", "teamleitung")
        assert again.value.erasure_id == done.erasure_id
    assert len(await rows(database, m.Erasure)) == 1
    assert await rows(database, m.Person, person_id=person) == []


async def test_erase_hand_made_task_title_but_not_declared_ones(database: Database):
    await _person_with_two_cases(database)
    await CaseActivities(database).record_transition(
        record("y-case", 2, "antrag_zurueckgenommen", "clearing_offen", "beendet", final=True, tasks=[TERMIN])
    )
    async with database.unit_of_work() as session:
        session.add(
            m.Task(
                case_id="x-case",
                sequence=None,
                kind="rueckruf",
                role="egs",
                title="Frau Mustermann zurückrufen",
                priority=5,
                due=T0,
                state=None,
                status="offen",
                created_at=T0,
            )
        )
    done = await erase(database, "x-case", "tl-1", "teamleitung")
    titles = {t.case_id: t.title for t in await rows(database, m.Task)}
    assert titles == {"x-case": MARKER, "y-case": TERMIN.title} and done.counts["aufgaben"] == 1
