from __future__ import annotations

from datetime import date
from functools import cache

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import TypeAdapter

from api.deps import SettingsDep
from api.schemas import processes as s
from api.usecases import views
from runtime.svg import render_svg
from statemachines import PROCESSES, Policy
from statemachines.diagram import to_dot, to_mermaid
from statemachines.refusals import invalid, unknown
from statemachines.regimes import Regime, for_regime

router = APIRouter(prefix="/processes", tags=["processes"])


def _process(name: str):
    if name not in PROCESSES:
        raise unknown(f"Prozess {name} ist unbekannt.")
    return PROCESSES[name]


# The definitions are fixed while the process runs: their JSON is written once. Built per request,
# the list cost about 15 ms of CPU, on an endpoint anyone who reaches the API may call.
_DEFINITIONS = TypeAdapter(list[s.ProcessPublic])
_DEFINITION = TypeAdapter(s.ProcessPublic)


@cache
def _definitions_json() -> bytes:
    return _DEFINITIONS.dump_json([views.process_public(p) for p in PROCESSES.values()], by_alias=True)


@cache
def _definition_json(name: str) -> bytes:  # only declared names reach it (_process)
    return _DEFINITION.dump_json(views.process_public(PROCESSES[name]), by_alias=True)


@router.get("", response_model=list[s.ProcessPublic])
async def read_processes() -> Response:
    """Every process definition: states, triggers, roles and deadlines."""
    return Response(_definitions_json(), media_type="application/json")


@router.get("/{process}", response_model=s.ProcessPublic)
async def read_process(process: str) -> Response:
    """One process definition."""
    return Response(_definition_json(_process(process).name), media_type="application/json")


RegimeParam = Query(None, max_length=40, description="Rechtsstand (R61); leer: der heute geltende oder festgelegte")


def _regime(settings, name: str | None) -> Regime:
    catalogue = settings.regimes()
    if name:
        if name not in catalogue.by_name:
            raise invalid(
                "unknown-regime",
                "Unbekannter Rechtsstand",
                f"Rechtsstand {name} gibt es nicht.",
                regimes=sorted(catalogue.by_name),
            )
        return catalogue.get(name)
    return catalogue.get(settings.regime) if settings.regime else catalogue.in_force(date.today())


_SVGS: dict[tuple[str, Policy, str], str] = {}  # few: processes x regimes x settings


def _svg(process: str, policy: Policy, regime: Regime) -> str:
    key = (process, policy, regime.name)
    if key not in _SVGS:
        _SVGS[key] = render_svg(to_dot(for_regime(PROCESSES[process], regime, reachable_only=True), policy))
    return _SVGS[key]


@router.get("/{process}/diagram.svg", response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}})
async def read_diagram_svg(process: str, settings: SettingsDep, regime: str | None = RegimeParam) -> Response:
    """The training diagram, drawn from the running definition and policy of a regime."""
    _process(process)
    chosen = _regime(settings, regime)
    return Response(_svg(process, settings.regime_policy(chosen), chosen), media_type="image/svg+xml")


@router.get("/{process}/diagram.mmd", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
async def read_diagram_mermaid(process: str, settings: SettingsDep, regime: str | None = RegimeParam) -> Response:
    """The training diagram as Mermaid source, under a regime."""
    chosen = _regime(settings, regime)
    drawn = for_regime(_process(process), chosen, reachable_only=True)
    return Response(to_mermaid(drawn, settings.regime_policy(chosen)), media_type="text/plain; charset=utf-8")
