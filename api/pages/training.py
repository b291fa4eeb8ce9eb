"""Training pages `/schulung` and `/schulung/<process>`: open without sign-in, definitions only
(never a case). Every fact comes from statemachines/training.py's view of the running
declarations, the diagram from runtime/svg.py with the configured policy."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.pages import core
from notifications.render import TEMPLATES
from runtime.svg import process_svg
from statemachines import PROCESSES
from statemachines.roles import LABELS as ROLE_LABELS
from statemachines.training import training_view

router = APIRouter(include_in_schema=False)
LETTERS = {name: t.subject for name, t in TEMPLATES.items()}


@router.get("/schulung")
async def index(request: Request) -> Response:
    return core.render(request, "schulung_index.html", title="Schulung", processes=list(PROCESSES.values()))


@router.get("/schulung/{process}")
async def process_page(request: Request, process: str) -> Response:
    found = PROCESSES.get(process)
    if found is None:
        return core.render(
            request, "message.html", 404, title="Nicht gefunden", message=f"Einen Prozess „{process}“ gibt es nicht."
        )
    policy = request.app.state.settings.policy
    view = training_view(found, policy, ROLE_LABELS, LETTERS)
    svg = await asyncio.to_thread(process_svg, process, policy)
    return core.render(request, "schulung.html", title=f"Schulung: {found.label}", view=view, svg=core.inline_svg(svg))
