"""Typed dependencies shared by the routers: the caller and the use cases (api/usecases/).

All are `async def`: FastAPI runs a plain `def` dependency in a worker thread, a thread hop
per request for what is an attribute lookup."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.auth import User, current_user, staff_user
from api.usecases import UseCases
from api.usecases.arbeitgeber import Arbeitgeber
from api.usecases.buchungen import Buchungen
from api.usecases.case_commands import CaseCommands
from api.usecases.case_reads import CaseReads
from api.usecases.erasure import Erasure
from api.usecases.fallakte import Fallakten
from api.usecases.infoveranstaltungen import Infoveranstaltungen
from api.usecases.kooperationsplan import Kooperationsplan
from api.usecases.people import People
from api.usecases.sitzungen import Sitzungen
from api.usecases.tasks import Tasks
from api.usecases.teilnehmendenzugang import Teilnehmendenzugaenge
from api.usecases.vermerke import Vermerke
from persistence.db import Database
from runtime.settings import Settings


def _usecases(request: Request) -> UseCases:
    return request.app.state.usecases


async def _cases(request: Request) -> CaseCommands:
    return _usecases(request).cases


async def _case_reads(request: Request) -> CaseReads:
    return _usecases(request).case_reads


async def _tasks(request: Request) -> Tasks:
    return _usecases(request).tasks


async def _sitzungen(request: Request) -> Sitzungen:
    return _usecases(request).sitzungen


async def _buchungen(request: Request) -> Buchungen:
    return _usecases(request).buchungen


async def _infoveranstaltungen(request: Request) -> Infoveranstaltungen:
    return _usecases(request).infoveranstaltungen


async def _kooperationsplan(request: Request) -> Kooperationsplan:
    return _usecases(request).kooperationsplan


async def _erasure(request: Request) -> Erasure:
    return _usecases(request).erasure


async def _arbeitgeber(request: Request) -> Arbeitgeber:
    return _usecases(request).arbeitgeber


async def _people(request: Request) -> People:
    return _usecases(request).people


async def _fallakte(request: Request) -> Fallakten:
    return _usecases(request).fallakte


async def _vermerke(request: Request) -> Vermerke:
    return _usecases(request).vermerke


async def _zugaenge(request: Request) -> Teilnehmendenzugaenge:
    return _usecases(request).zugaenge


async def _db(request: Request) -> Database:
    return request.app.state.db


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


CurrentUser = Annotated[User, Depends(staff_user)]  # staff; participants use AnyUser
AnyUser = Annotated[User, Depends(current_user)]
CasesDep = Annotated[CaseCommands, Depends(_cases)]
CaseReadsDep = Annotated[CaseReads, Depends(_case_reads)]
TasksDep = Annotated[Tasks, Depends(_tasks)]
SitzungenDep = Annotated[Sitzungen, Depends(_sitzungen)]
BuchungenDep = Annotated[Buchungen, Depends(_buchungen)]
ArbeitgeberDep = Annotated[Arbeitgeber, Depends(_arbeitgeber)]
InfoveranstaltungenDep = Annotated[Infoveranstaltungen, Depends(_infoveranstaltungen)]
KooperationsplanDep = Annotated[Kooperationsplan, Depends(_kooperationsplan)]
ErasureDep = Annotated[Erasure, Depends(_erasure)]
PeopleDep = Annotated[People, Depends(_people)]
FallakteDep = Annotated[Fallakten, Depends(_fallakte)]
VermerkeDep = Annotated[Vermerke, Depends(_vermerke)]
ZugaengeDep = Annotated[Teilnehmendenzugaenge, Depends(_zugaenge)]
DbDep = Annotated[Database, Depends(_db)]
SettingsDep = Annotated[Settings, Depends(_settings)]
