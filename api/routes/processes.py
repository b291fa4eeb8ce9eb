from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter
from fastapi.responses import Response

from api import schemas as s
from api import views
from api.deps import SettingsDep
from api.errors import not_found
from runtime.diagrams import render_svg
from statemachines import PROCESSES, Policy
from statemachines.diagram import to_dot, to_mermaid

router = APIRouter(prefix="/processes", tags=["processes"])


def _process(name: str):
    if name not in PROCESSES:
        raise not_found(f"Prozess {name} ist unbekannt.")
    return PROCESSES[name]


@router.get("", response_model=list[s.ProcessPublic])
async def read_processes() -> list[s.ProcessPublic]:
    """Every process definition: states, triggers, roles and deadlines."""
    return [views.process_public(p) for p in PROCESSES.values()]


@router.get("/{process}", response_model=s.ProcessPublic)
async def read_process(process: str) -> s.ProcessPublic:
    """One process definition."""
    return views.process_public(_process(process))


@lru_cache(maxsize=32)
def _svg(process: str, policy: Policy) -> str:
    return render_svg(to_dot(PROCESSES[process], policy))


@router.get("/{process}/diagram.svg", response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}})
async def read_diagram_svg(process: str, settings: SettingsDep) -> Response:
    """The training diagram, drawn from the running definition and policy."""
    _process(process)
    return Response(_svg(process, settings.policy), media_type="image/svg+xml")


@router.get("/{process}/diagram.mmd", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def read_diagram_mermaid(process: str, settings: SettingsDep) -> Response:
    """The training diagram as Mermaid source."""
    return Response(to_mermaid(_process(process), settings.policy), media_type="text/plain; charset=utf-8")
