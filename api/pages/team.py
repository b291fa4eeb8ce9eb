"""Team lead pages: the information events of the Rechtskreiswechsel (R31–R33): the calendar
with free places, an event's bookings, recording attendance, cancelling
(api/usecases/infoveranstaltungen.py; the use case checks the role)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from api.pages import core
from api.schemas.infoveranstaltungen import TeilnahmeCreate
from statemachines.refusals import DomainError

router = APIRouter(include_in_schema=False)
BASE = "/team/infoveranstaltungen"


@router.get(BASE)
async def calendar(request: Request) -> Response:
    user = core.user_of(request)
    status = request.query_params.get("status") or None
    if status not in (None, "geplant", "abgesagt"):
        status = None
    try:
        events = await request.app.state.usecases.infoveranstaltungen.list(user, None, None, None, status)
    except DomainError as refused:
        return core.refusal_page(request, refused)
    return core.render(
        request,
        "infoveranstaltungen.html",
        title="Infoveranstaltungen",
        events=events,
        gewaehlt=status or "",
    )


@router.get(BASE + "/{event_id}")
async def event(request: Request, event_id: int) -> Response:
    user = core.user_of(request)
    try:
        found = await request.app.state.usecases.infoveranstaltungen.read(event_id, user)
    except DomainError as refused:
        return core.refusal_page(request, refused)
    return core.render(
        request,
        "infoveranstaltung.html",
        title=f"Infoveranstaltung {event_id}",
        event=found,
    )


@router.post(BASE + "/{event_id}/absage")
async def cancel(request: Request, event_id: int) -> Response:
    checked = await core.checked_form(request)
    if isinstance(checked, Response):
        return checked
    found, _ = checked
    try:
        absage = await request.app.state.usecases.infoveranstaltungen.cancel(event_id, found.user)
    except DomainError as refused:
        return core.refusal_page(request, refused)
    moved = sum(1 for u in absage.umgebucht if u.refused is None and u.veranstaltung_id is not None)
    message = f"Infoveranstaltung {event_id} abgesagt; {moved} von {len(absage.umgebucht)} Buchungen umgebucht."
    return core.see_other(f"{BASE}/{event_id}", message)


@router.post(BASE + "/{event_id}/teilnahme")
async def attendance(request: Request, event_id: int) -> Response:
    checked = await core.checked_form(request)
    if isinstance(checked, Response):
        return checked
    found, fields = checked
    back = f"{BASE}/{event_id}"
    try:
        body = TeilnahmeCreate(case_id=core.first(fields, "fall"), erschienen=core.first(fields, "erschienen") == "ja")
        await request.app.state.usecases.infoveranstaltungen.attendance(
            event_id, body, found.user, core.first(fields, "schluessel")[:100] or None
        )
    except ValidationError:
        return core.see_other(back, error="Ungültige Angabe zur Teilnahme.")
    except DomainError as refused:
        return core.see_other(back, error=f"{refused.title}: {refused.detail}")
    return core.see_other(back, "Teilnahme erfasst.")
