"""Opening a case at the workbench: `/neuer-fall` lists the processes the user may start (the
declaration's start roles; Schlichtung and Minderung are opened only by their parent cases),
`/neuer-fall/{process}` its form: the person (a new one by name, date of birth and address, or the
Fallakte's person with `?person=`), the start facts generated from the process's start model and
the legal start date (R61). It opens the case through the same use case as POST /api/v1/cases
(CaseCommands.create, every check there), with an Idempotency-Key per rendered form, so a double
submit opens one case; input it refuses comes back at the fields, in German, and opens nothing."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from api.errors import status_of
from api.pages import core, forms
from api.schemas.cases import CaseCreate
from api.usecases.actors import User
from statemachines import PROCESSES
from statemachines.refusals import DomainError
from statemachines.spec import Process

router = APIRouter(include_in_schema=False)
NOT_ASKED = ("regime",)  # R61: the regime follows from the legal start date
PERSON = [
    forms.Field("vorname", "Vorname", "text", True),
    forms.Field("nachname", "Nachname", "text", True),
    forms.Field("geburtsdatum", "Geburtsdatum", "date", False),
]
ANSCHRIFT = [
    forms.Field("strasse", "Straße und Hausnummer", "text", False),
    forms.Field("plz", "Postleitzahl", "text", False, hint="Fünf Ziffern"),
    forms.Field("ort", "Ort", "text", False),
]
BEGINN = forms.Field(
    "rechtlicher_beginn",
    "Rechtlicher Beginn",
    "date",
    False,
    hint="Leer: heute. Ein früherer Beginn (z. B. ein 2025 begonnener Plan) bestimmt den Rechtsstand.",
)


def startable(user: User) -> list[Process]:
    return [p for p in PROCESSES.values() if p.start_roles & user.roles]


def fact_fields(process: Process) -> list[forms.Field]:
    return [f for f in forms.fields_of(process.start) if f.name not in NOT_ASKED]


@router.get("/neuer-fall")
async def choose(request: Request) -> Response:
    user = core.user_of(request)
    person_id = request.query_params.get("person", "")[:40]
    return core.render(
        request, "neuer_fall.html", title="Neuen Fall anlegen", processes=startable(user), person_id=person_id
    )


async def _form(request: Request, process: Process, person_id: str, status: int = 200, /, **context: Any) -> Response:
    person = None
    if person_id:
        try:
            person = (await request.app.state.usecases.fallakte.read(person_id, core.user_of(request))).person
        except DomainError as refused:
            return core.refusal_page(request, refused)
    values = context.setdefault("values", {})
    context.setdefault("errors", {})
    context.setdefault("general", [])
    return core.render(
        request,
        "neuer_fall_form.html",
        status,
        title=f"{process.label} anlegen",
        process=process,
        person=person,
        person_id=person_id,
        person_fields=[] if person else PERSON + ANSCHRIFT,
        fields=[*fact_fields(process), BEGINN],
        key=values.get("schluessel") or str(uuid.uuid4()),  # kept when the form comes back
        **context,
    )


def _known(request: Request, name: str) -> Process | Response:
    process = PROCESSES.get(name)
    if process is None or not process.start_roles:
        return core.render(request, "message.html", 404, title="Nicht gefunden", message="Diesen Ablauf gibt es nicht.")
    return process


@router.get("/neuer-fall/{name}")
async def form(request: Request, name: str) -> Response:
    core.user_of(request)
    process = _known(request, name)
    if isinstance(process, Response):
        return process
    return await _form(request, process, request.query_params.get("person", "")[:40])


def _person(fields: dict[str, list[str]]) -> dict[str, Any]:
    """The new person from the form: empty inputs left out, the address only when one is given."""
    raw = {f.name: core.first(fields, f.name).strip() for f in PERSON + ANSCHRIFT}
    person: dict[str, Any] = {f.name: raw[f.name] for f in PERSON if raw[f.name]}
    if any(raw[f.name] for f in ANSCHRIFT):
        person["anschrift"] = {f.name: raw[f.name] for f in ANSCHRIFT}
    return person


def _person_errors(invalid: ValidationError) -> dict[str, str]:
    """CaseCreate's errors at the person's inputs (loc person.vorname, person.anschrift.plz, …)."""
    found: dict[str, str] = {}
    for e in invalid.errors():
        loc = [str(p) for p in e["loc"] if p not in ("person", "anschrift")]
        name = loc[0] if loc else "vorname"
        found.setdefault(name, forms.MESSAGES.get(e["type"], forms.FALLBACK))
    return found


@router.post("/neuer-fall/{name}")
async def create(request: Request, name: str) -> Response:
    checked = await core.checked_form(request)
    if isinstance(checked, Response):
        return checked
    found, fields = checked
    process = _known(request, name)
    if isinstance(process, Response):
        return process
    person_id = core.first(fields, "person")[:40]
    facts, errors = forms.data_of(process.start, {f.name: fields.get(f.name, []) for f in fact_fields(process)})
    beginn = core.first(fields, BEGINN.name).strip() or None
    values = forms.form_values(fields)
    who: dict[str, Any] = {"person_id": person_id} if person_id else {"person": _person(fields)}
    try:
        body = CaseCreate(process=process.name, facts=facts, rechtlicher_beginn=beginn, **who)
    except ValidationError as invalid:
        errors |= _person_errors(invalid)
    if errors:
        shown = {f.name for f in PERSON + ANSCHRIFT + fact_fields(process)} | {BEGINN.name}
        general = [f"{message} ({name})" for name, message in errors.items() if name not in shown]
        return await _form(request, process, person_id, 422, values=values, errors=errors, general=general)
    key = core.first(fields, "schluessel")[:100] or None
    try:
        case = await request.app.state.usecases.cases.create(body, found.user, key)
    except DomainError as refused:
        at_fields = forms.field_errors(refused.extra.get("errors"))
        known = {f.name for f in fact_fields(process)} | {BEGINN.name}
        if refused.slug in ("invalid-facts", "invalid-payload") and at_fields.keys() <= known:
            return await _form(request, process, person_id, status_of(refused), values=values, errors=at_fields)
        if refused.slug.startswith("invalid"):
            return await _form(request, process, person_id, status_of(refused), values=values, general=[refused.detail])
        return core.refusal_page(request, refused)
    return core.see_other(f"/faelle/{case.case_id}", f"{process.label}: Fall angelegt.")
