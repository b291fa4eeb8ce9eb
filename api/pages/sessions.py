"""Group sessions (R20–R22) for the team lead and the Jobcoaches: the weekly plan, a session's
bookings and attendance, the R21 decision on a session with too few bookings
(api/usecases/sitzungen.py, which checks the roles)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from api.pages import core
from api.schemas.sitzungen import EntscheidungCreate, SitzungsplanCreate
from statemachines.refusals import DomainError

router = APIRouter(include_in_schema=False)
BASE = "/team/sitzungen"
ENTSCHEIDUNGEN = {
    "durchfuehren": "Durchführen",
    "verkuerzen": "Verkürzen",
    "minigruppe": "Als Minigruppe",
    "einzelcoaching": "Einzelcoaching",
}


@router.get(BASE)
async def sessions(request: Request) -> Response:
    core.user_of(request)
    found = await request.app.state.usecases.sitzungen.list(None, None)
    return core.render(
        request,
        "sitzungen.html",
        title="Gruppensitzungen",
        sitzungen=found,
        heute=date.today().isoformat(),
    )


@router.post(BASE + "/plan")
async def plan(request: Request) -> Response:
    checked = await core.checked_form(request)
    if isinstance(checked, Response):
        return checked
    found, fields = checked
    try:
        body = SitzungsplanCreate(von=core.first(fields, "von"), wochen=core.first(fields, "wochen") or "1")
        planned = await request.app.state.usecases.sitzungen.plan(body, found.user)
    except ValidationError:
        return core.see_other(BASE, error="Bitte ein Datum und 1 bis 12 Wochen angeben.")
    except DomainError as refused:
        return core.see_other(BASE, error=f"{refused.title}: {refused.detail}")
    return core.see_other(BASE, f"{len(planned)} Sitzungen geplant.")


@router.get(BASE + "/{sitzung_id}")
async def session_page(request: Request, sitzung_id: int) -> Response:
    user = core.user_of(request)
    try:
        found = await request.app.state.usecases.sitzungen.read(sitzung_id, user)
    except DomainError as refused:
        return core.refusal_page(request, refused)
    return core.render(
        request,
        "sitzung.html",
        title=f"Gruppensitzung {sitzung_id}",
        sitzung=found,
        entscheidungen=ENTSCHEIDUNGEN,
    )


@router.post(BASE + "/{sitzung_id}/entscheidung")
async def decide(request: Request, sitzung_id: int) -> Response:
    checked = await core.checked_form(request)
    if isinstance(checked, Response):
        return checked
    found, fields = checked
    back = f"{BASE}/{sitzung_id}"
    try:
        dauer = core.first(fields, "dauer_minuten").strip()
        body = EntscheidungCreate(
            entscheidung=core.first(fields, "entscheidung"),
            dauer_minuten=int(dauer) if dauer else None,
            kommentar=core.first(fields, "kommentar").strip() or None,
        )
        await request.app.state.usecases.sitzungen.decide(sitzung_id, body, found.user)
    except (ValidationError, ValueError):
        return core.see_other(
            back, error="Bitte eine Entscheidung wählen; eine Dauer nur beim Verkürzen (15–480 Minuten)."
        )
    except DomainError as refused:
        return core.see_other(back, error=f"{refused.title}: {refused.detail}")
    return core.see_other(back, "Entscheidung erfasst (R21).")
