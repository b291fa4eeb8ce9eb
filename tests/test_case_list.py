"""GET /cases on both backends: filters, paging with the total, newest change first, the read
rule (README "Role matrix"), 422 for bad parameters and the exact JSON the route documents
(s.Page[s.CaseSummary]; the route serializes it itself, the bytes must not change)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import TypeAdapter
from sqlalchemy import select

from api.app import create_app
from api.schemas import cases as s
from api.usecases import views
from persistence import models as m
from runtime.settings import PARTICIPANT, Settings, TokenUser
from tests.api_fixtures import TOKENS, auth

T0 = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)


def _id(n: int) -> str:
    return f"{n:08d}-0000-4000-8000-000000000000"


# name: (case id, process, state, overdue, deadline, final, version, updated_at)
CASES = {
    "A": (
        _id(1),
        "neuantrag",
        "clearing_offen",
        True,
        T0 + timedelta(days=1),
        False,
        2,
        T0 + timedelta(minutes=5, microseconds=123456),
    ),
    "B": (_id(2), "neuantrag", "antrag_eingegangen", False, None, False, 0, T0 + timedelta(minutes=4)),
    "C": (_id(4), "neuantrag", "an_ifk_uebergeben", False, None, True, 7, T0 + timedelta(minutes=3)),
    "D": (
        _id(3),
        "gruppencoaching",
        "uebergabe_terminiert",
        False,
        T0 + timedelta(days=3),
        False,
        1,
        T0 + timedelta(minutes=3),
    ),
    "E": (
        _id(5),
        "kooperationsplan",
        "in_ueberpruefung",
        True,
        T0 + timedelta(days=10),
        False,
        4,
        T0 + timedelta(minutes=2),
    ),
    "F": (
        _id(6),
        "rechtskreiswechsel",
        "vorgemerkt",
        False,
        T0 + timedelta(days=2),
        False,
        0,
        T0 + timedelta(minutes=1),
    ),
    "G": (_id(7), "schlichtung", "beantragt", False, None, False, 0, T0),
}
NEWEST_FIRST = ["A", "B", "D", "C", "E", "F", "G"]  # D and C changed at the same instant: case id breaks the tie
ID = {name: row[0] for name, row in CASES.items()}
PARTICIPANT_TOKENS = {
    "tok-tn-d": TokenUser(user="tn-d", roles=[PARTICIPANT], case_id=ID["D"]),
    "tok-tn-a": TokenUser(user="tn-a", roles=[PARTICIPANT], case_id=ID["A"]),
    "tok-tn-none": TokenUser(user="tn-none", roles=[PARTICIPANT]),
}


@pytest.fixture
async def app(client, database, tmp_path):
    """The app over a read model holding CASES (the list reads nothing else)."""
    async with database.unit_of_work() as session:
        for case_id, process, state, overdue, deadline, final, version, updated in CASES.values():
            session.add(
                m.Case(
                    case_id=case_id,
                    process=process,
                    state=state,
                    person_id=None,
                    facts={},
                    deadlines={"items": []},
                    deadline=deadline,
                    overdue=overdue,
                    final=final,
                    version=version,
                    workflow_id=f"{process}-{case_id}",
                    links={},
                    created_at=T0 - timedelta(days=1),
                    updated_at=updated,
                )
            )
    settings = Settings(api_tokens=TOKENS | PARTICIPANT_TOKENS, data_dir=tmp_path)
    return create_app(settings, client=client, db=database)


@pytest.fixture
async def http(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test/api/v1") as c:
        yield c


async def _page(http, role: str = "teamleitung", token: str | None = None, **params) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else auth(role)
    r = await http.get("/cases", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _names(page: dict) -> list[str]:
    by_id = {case_id: name for name, case_id in ID.items()}
    return [by_id[item["case_id"]] for item in page["items"]]


async def test_lists_every_readable_case_newest_change_first(http):
    page = await _page(http)
    assert _names(page) == NEWEST_FIRST
    assert (page["total"], page["limit"], page["offset"]) == (7, 50, 0)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"process": "neuantrag"}, ["A", "B", "C"]),
        ({"state": "clearing_offen"}, ["A"]),
        ({"process": "neuantrag", "state": "antrag_eingegangen"}, ["B"]),
        ({"process": "gruppencoaching", "state": "antrag_eingegangen"}, []),
        ({"overdue": "true"}, ["A", "E"]),
        ({"overdue": "false"}, ["B", "D", "C", "F", "G"]),
        ({"deadline_before": "2030-03-03T08:00:00Z"}, ["A"]),  # F is due exactly then: not before
        ({"deadline_before": "2030-03-04T09:00:01+01:00"}, ["A", "D", "F"]),  # an offset counts: 08:00:01Z
        ({"deadline_before": "2030-03-05T00:00:00Z", "overdue": "true"}, ["A"]),
        ({"process": "", "state": ""}, NEWEST_FIRST),  # empty values filter nothing
    ],
)
async def test_filters_narrow_items_and_total(http, params, expected):
    page = await _page(http, **params)
    assert _names(page) == expected
    assert page["total"] == len(expected)


async def test_limit_and_offset_page_through_with_the_full_total(http):
    seen = []
    for offset in (0, 2, 4, 6):
        page = await _page(http, limit=2, offset=offset)
        assert (page["total"], page["limit"], page["offset"]) == (7, 2, offset)
        seen += _names(page)
    assert seen == NEWEST_FIRST
    for offset in (7, 500):  # past the end: no items, the total still counts every match
        page = await _page(http, limit=2, offset=offset)
        assert page["items"] == [] and page["total"] == 7
    page = await _page(http, process="neuantrag", offset=3)
    assert page["items"] == [] and page["total"] == 3
    assert (await _page(http, state="beendet"))["total"] == 0
    assert (await _page(http, state="beendet", offset=10))["total"] == 0


async def test_each_reader_lists_only_cases_it_may_read(http):
    assert _names(await _page(http, "egs")) == ["A", "B", "C", "F"]  # neuantrag and rechtskreiswechsel
    assert _names(await _page(http, "schlichtungsstelle")) == ["G"]
    assert _names(await _page(http, "jobcoach", overdue="false")) == ["B", "D", "C"]
    assert _names(await _page(http, token="tok-tn-d")) == ["D"]  # a participant: their own case only
    assert (await _page(http, token="tok-tn-d", process="neuantrag"))["total"] == 0
    page = await _page(http, token="tok-tn-d", offset=1)
    assert page["items"] == [] and page["total"] == 1
    assert (await _page(http, token="tok-tn-none"))["total"] == 0  # bound to no case: nothing
    assert _names(await _page(http, token="tok-tn-a")) == ["A"]  # same role, another case
    assert _names(await _page(http, "egs")) == ["A", "B", "C", "F"]  # after the others: no statement mixed up


async def test_body_is_the_documented_page_of_summaries(http, database):
    r = await http.get("/cases", params={"limit": 4}, headers=auth("teamleitung"))
    assert r.headers["content-type"] == "application/json"
    first = r.json()["items"][0]
    assert list(first) == ["case_id", "process", "state", "overdue", "deadline", "final", "version", "updated_at"]
    assert first == {
        "case_id": ID["A"],
        "process": "neuantrag",
        "state": {"name": "clearing_offen", "label": "Clearing offen"},
        "overdue": True,
        "deadline": "2030-03-02T08:00:00Z",
        "final": False,
        "version": 2,
        "updated_at": "2030-03-01T08:05:00.123456Z",
    }
    d, c = r.json()["items"][2:]
    assert d["state"] == {"name": "uebergabe_terminiert", "label": "Übergabegespräch terminiert"}
    assert c["state"] == {"name": "an_ifk_uebergeben", "label": "An IFK übergeben"}
    assert (c["deadline"], c["final"], c["version"]) == (None, True, 7)
    # byte for byte what FastAPI wrote for the response model before the route serialized it itself
    async with database.unit_of_work(read_only=True) as session:
        rows = (await session.scalars(select(m.Case).order_by(m.Case.updated_at.desc(), m.Case.case_id).limit(4))).all()
        model = s.Page[s.CaseSummary](items=[views.case_summary(c) for c in rows], total=7, limit=4, offset=0)
    assert r.content == TypeAdapter(s.Page[s.CaseSummary]).dump_json(model)
    assert "Übergabegespräch terminiert".encode() in r.content  # UTF-8, not \u escapes


async def test_openapi_still_documents_the_page_of_summaries(app):
    ok = app.openapi()["paths"]["/api/v1/cases"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Page_CaseSummary_"}


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 201},
        {"limit": "viele"},
        {"offset": -1},
        {"offset": 1_000_001},
        {"overdue": "vielleicht"},
        {"deadline_before": "gestern"},
        {"deadline_before": "2030-03-03T08:00:00"},  # no offset: which instant is meant is unclear
    ],
)
async def test_bad_parameters_answer_422(http, params):
    r = await http.get("/cases", params=params, headers=auth("teamleitung"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 422


async def test_listing_needs_a_login(http):
    assert (await http.get("/cases")).status_code == 401
