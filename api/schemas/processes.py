"""The process definitions as readers see them (GET /processes)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class TriggerPublic(BaseModel):
    name: str
    label: str
    roles: list[str]
    timer: bool
    payload_schema: dict[str, Any] | None


class DeadlineDecl(BaseModel):
    trigger: str
    label: str
    policy_setting: str | None
    marks_overdue: bool


class StatePublic(BaseModel):
    name: str
    label: str
    final: bool
    initial: bool
    deadlines: list[DeadlineDecl]


class TransitionDecl(BaseModel):
    trigger: str
    source: list[str]
    dest: str | None
    guards: list[str]
    letters: list[str]
    tasks: list[str]


class ProcessPublic(BaseModel):
    name: str
    label: str
    initial: str
    roles: list[str]
    states: list[StatePublic]
    triggers: list[TriggerPublic]
    transitions: list[TransitionDecl]
    start_schema: dict[str, Any]
