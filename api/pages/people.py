"""Search and Fallakte: `/personen?q=` finds a person (name, date of birth, Kundennummer) among
the people with a case the user may read (api/usecases/people.py); `/personen/{id}` their
Fallakte: cases, states, deadlines, open tasks, the last conversations and the agreements in
force (R16, api/usecases/fallakte.py). For the roles that may open a meldetermin, the Fallakte
carries the form "Zum Meldetermin einladen": it starts the case through the same use case as
POST /api/v1/cases (CaseCommands.create, every check there), with a fresh Idempotency-Key per
rendered form, so a double submit opens one case."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from api.errors import status_of
from api.pages import core, forms
from api.schemas.cases import CaseCreate
from api.usecases.actors import User
from api.usecases.people import person_unknown
from statemachines import PROCESSES
from statemachines.refusals import DomainError

router = APIRouter(include_in_schema=False)
LIMIT = 20
Q_LENGTH = 100
MELDETERMIN = PROCESSES["meldetermin"]
SET_BY_THE_SYSTEM = ("regime",)  # R61: the regime follows from the appointment's date


@router.get("/personen")
async def search(request: Request) -> Response:
    user = core.user_of(request)
    q = request.query_params.get("q", "").strip()
    found, problem = None, ""
    if len(q) > Q_LENGTH:
        problem = f"Bitte höchstens {Q_LENGTH} Zeichen eingeben."
    elif q:
        try:
            found = await request.app.state.usecases.people.search(user, q, LIMIT)
        except DomainError as refused:
            problem = refused.detail
    return core.render(
        request, "personen.html", title="Personen suchen", q=q, found=found, problem=problem, limit=LIMIT
    )


def invitation_fields() -> list[forms.Field]:
    """The inputs of the meldetermin start (MeldeterminStart) a person at the workbench fills in."""
    return [f for f in forms.fields_of(MELDETERMIN.start) if f.name not in SET_BY_THE_SYSTEM]


def may_invite(user: User) -> bool:
    """Whether to offer the form: the declaration's start roles (the use case checks again)."""
    return bool(user.roles & MELDETERMIN.start_roles)


async def _fallakte(request: Request, person_id: str, status: int = 200, /, **context) -> Response:
    user = core.user_of(request)
    try:
        akte = await request.app.state.usecases.fallakte.read(person_id, user)
    except DomainError as refused:
        return core.refusal_page(request, refused)
    name = f"{akte.person.vorname} {akte.person.nachname}"
    context.setdefault("values", {})
    context.setdefault("errors", {})
    return core.render(
        request,
        "fallakte.html",
        status,
        title=f"Fallakte {name}",
        akte=akte,
        person_name=name,
        person_id=person_id,
        einladung=invitation_fields() if may_invite(user) else None,
        key=context["values"].get("schluessel") or str(uuid.uuid4()),  # kept when the form comes back
        **context,
    )


@router.get("/personen/{person_id}")
async def fallakte(request: Request, person_id: str) -> Response:
    return await _fallakte(request, person_id)


@router.post("/personen/{person_id}/meldetermin")
async def invite(request: Request, person_id: str) -> Response:
    """Open a meldetermin for the person (R64): CaseCommands.create decides; its refusal of the
    facts comes back at the fields (422, nothing created), any other refusal as the refusal page."""
    checked = await core.checked_form(request)
    if isinstance(checked, Response):
        return checked
    found, fields = checked
    shown = invitation_fields()
    data, errors = forms.data_of(MELDETERMIN.start, {f.name: fields.get(f.name, []) for f in shown})
    values = forms.form_values(fields)
    if errors and may_invite(found.user):  # unreadable input; a role without the form gets the use case's refusal
        return await _fallakte(request, person_id, 422, values=values, errors=errors)
    key = core.first(fields, "schluessel")[:100] or None
    try:
        body = CaseCreate(process=MELDETERMIN.name, person_id=person_id, facts=data)
    except ValidationError:  # not a person id at all
        return core.refusal_page(request, person_unknown(person_id[:40]))
    try:
        case = await request.app.state.usecases.cases.create(body, found.user, key)
    except DomainError as refused:
        at_fields = forms.field_errors(refused.extra.get("errors"))
        known = {f.name for f in shown}
        if refused.slug == "invalid-facts" and at_fields.keys() <= known:
            return await _fallakte(request, person_id, status_of(refused), values=values, errors=at_fields)
        return core.refusal_page(request, refused)
    return core.see_other(f"/faelle/{case.case_id}", "Zum Meldetermin eingeladen.")
