"""Typed dependencies shared by the routers.

All are `async def`: FastAPI runs a plain `def` dependency in a worker thread, a thread hop
per request for what is an attribute lookup."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.auth import User, current_user, staff_user
from api.cases import CaseService
from persistence.db import Database
from runtime.settings import Settings


async def _cases(request: Request) -> CaseService:
    return request.app.state.cases


async def _db(request: Request) -> Database:
    return request.app.state.db


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


CurrentUser = Annotated[User, Depends(staff_user)]  # staff; participants use AnyUser
AnyUser = Annotated[User, Depends(current_user)]
CasesDep = Annotated[CaseService, Depends(_cases)]
DbDep = Annotated[Database, Depends(_db)]
SettingsDep = Annotated[Settings, Depends(_settings)]
