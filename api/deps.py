"""Typed dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.auth import User, current_user, staff_user
from api.cases import CaseService
from persistence.db import Database
from runtime.settings import Settings


def _cases(request: Request) -> CaseService:
    return request.app.state.cases


def _db(request: Request) -> Database:
    return request.app.state.db


def _settings(request: Request) -> Settings:
    return request.app.state.settings


CurrentUser = Annotated[User, Depends(staff_user)]  # staff; participants use AnyUser
AnyUser = Annotated[User, Depends(current_user)]
CasesDep = Annotated[CaseService, Depends(_cases)]
DbDep = Annotated[Database, Depends(_db)]
SettingsDep = Annotated[Settings, Depends(_settings)]
