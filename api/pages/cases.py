"""The case page `/faelle/{id}` and a trigger's form `/faelle/{id}/schritt/{trigger}`.

Everything comes from the use cases: the case with the triggers the user may fire now
(CaseReads.read), its audit trail and letters, its diagram (CaseDiagrams), the plan's
versions; a step goes through CaseCommands.transition with the same checks as the API. The
form carries a fresh Idempotency-Key, so a double submit fires the step once.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from api.errors import status_of
from api.pages import core, forms
from api.schemas.cases import TransitionCreate
from api.schemas.vermerke import VermerkCreate
from statemachines import PROCESSES
from statemachines.refusals import DomainError, Refusal

router = APIRouter(include_in_schema=False)
PLAN_PROCESSES = ("kooperationsplan", "schlichtung")
SCHLICHTUNGSPERSON = ("schlichtung", "schlichtungsperson_bestellt")


@router.get("/faelle/{case_id}")
async def case_page(request: Request, case_id: str) -> Response:
    user = core.user_of(request)
    uc = request.app.state.usecases
    try:
        case = await uc.case_reads.read(case_id, user)  # UNKNOWN first, for a case the user may not read
        events, letters, svg, vermerke = await asyncio.gather(  # then independent reads side by side
            uc.case_reads.events(case_id, user),
            uc.case_reads.notifications(user, case_id, 200, 0),
            uc.diagrams.svg(case_id, user),
            uc.vermerke.list(case_id, user),
        )
    except DomainError as refused:
        return core.refusal_page(request, refused)
    versions, vorschlaege = [], []
    if case.process in PLAN_PROCESSES:
        try:
            versions = await uc.kooperationsplan.versionen(case_id, user)
            vorschlaege = await uc.kooperationsplan.vorschlaege(case_id, user)  # R53
        except DomainError:
            versions, vorschlaege = [], []
    process = PROCESSES[case.process]
    return core.render(
        request,
        "case.html",
        title=f"Fall {process.label}",
        case=case,
        meaning=process.state(case.state.name).description,
        events=events,
        letters=letters,
        svg=core.inline_svg(svg),
        versions=versions,
        vorschlaege=vorschlaege,
        vermerke=vermerke,
        textbausteine=uc.vermerke.textbausteine(),
        vermerk_key=str(uuid.uuid4()),
    )


@router.post("/faelle/{case_id}/vermerke")
async def add_vermerk(request: Request, case_id: str) -> Response:
    """Document a conversation (R15): a Termin-Textbaustein and the text; the state stays."""
    checked = await core.checked_form(request)
    if isinstance(checked, Response):
        return checked
    found, fields = checked
    back = f"/faelle/{case_id}"
    when = core.first(fields, "gespraech_am").strip()
    try:
        body = VermerkCreate(
            textbaustein=core.first(fields, "textbaustein"),
            text=core.first(fields, "text").strip(),
            gespraech_am=datetime.fromisoformat(when).replace(tzinfo=core.BERLIN) if when else None,
        )
        await request.app.state.usecases.vermerke.create(
            case_id, body, found.user, core.first(fields, "schluessel")[:100] or None
        )
    except (ValidationError, ValueError):
        return core.see_other(back, error="Vermerk: bitte einen Textbaustein wählen und einen Text eingeben.")
    except DomainError as refused:
        return core.see_other(back, error=f"Vermerk: {refused.detail}")
    return core.see_other(back, "Vermerk gespeichert.")


async def _fields(request: Request, case, trigger: str) -> list[forms.Field]:
    """The trigger's form fields; where a use case knows the valid values, a choice of them
    (R52: only neutral persons are offered as Schlichtungsperson; the system's own check hidden)."""
    spec = PROCESSES[case.process].trigger(trigger)
    fields = forms.fields_of(spec.api_payload or spec.payload)
    if (case.process, trigger) == SCHLICHTUNGSPERSON:
        user = core.user_of(request)
        people = await request.app.state.usecases.schlichtung.neutral_candidates(case.case_id, user)
        fields = [f for f in fields if f.name != "unbefangen"]
        for f in fields:
            if f.name == "schlichtungsperson":
                f.kind, f.choices = "select", [(p, p) for p in people]
                f.hint = "Angeboten werden nur Mitarbeitende, die nicht mit dem Fall befasst waren (R52)."
    return fields


@router.get("/faelle/{case_id}/kooperationsplan.pdf")
async def plan_pdf(request: Request, case_id: str) -> Response:
    """The plan document for a signed-in browser (the JSON API's PDF wants a bearer token)."""
    user = core.user_of(request)
    raw = request.query_params.get("version", "")
    number = int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None
    try:
        document, version, plan_case = await request.app.state.usecases.kooperationsplan.pdf(case_id, user, number)
    except DomainError as refused:
        return core.refusal_page(request, refused)
    name = f"kooperationsplan-{plan_case}-v{version}.pdf"
    return Response(
        document, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


async def _trigger_form(request: Request, case, trigger: str, status: int = 200, **context) -> Response:
    process = PROCESSES[case.process]
    spec = process.trigger(trigger)
    context.setdefault("values", {})
    context.setdefault("errors", {})
    return core.render(
        request,
        "trigger.html",
        status,
        title=f"{spec.label} – Fall {process.label}",
        case=case,
        trigger=spec,
        fields=await _fields(request, case, trigger),
        key=str(uuid.uuid4()),
        **context,
    )


async def _case_with(request: Request, case_id: str, trigger: str):
    """The case, if `trigger` is one the user may fire on it now; else a refusal page."""
    user = core.user_of(request)
    try:
        case = await request.app.state.usecases.case_reads.read(case_id, user)
    except DomainError as refused:
        return core.refusal_page(request, refused)
    if trigger not in {t.name for t in case.allowed_triggers}:
        error = DomainError(
            Refusal.NOT_ALLOWED,
            "trigger-not-allowed",
            "Schritt nicht möglich",
            "Diesen Schritt können Sie in diesem Fall jetzt nicht auslösen.",
        )
        return core.refusal_page(request, error)
    return case


@router.get("/faelle/{case_id}/schritt/{trigger}")
async def trigger_form(request: Request, case_id: str, trigger: str) -> Response:
    case = await _case_with(request, case_id, trigger)
    if isinstance(case, Response):
        return case
    return await _trigger_form(request, case, trigger)


@router.post("/faelle/{case_id}/schritt/{trigger}")
async def fire(request: Request, case_id: str, trigger: str) -> Response:
    checked = await core.checked_form(request)
    if isinstance(checked, Response):
        return checked
    found, fields = checked
    try:  # whether the step is possible now is the use case's call: its refusal shows in the form
        case = await request.app.state.usecases.case_reads.read(case_id, found.user)
    except DomainError as refused:
        return core.refusal_page(request, refused)
    if not PROCESSES[case.process].has_trigger(trigger):
        return core.render(
            request, "message.html", 404, title="Nicht gefunden", message="Diesen Schritt gibt es nicht."
        )
    spec = PROCESSES[case.process].trigger(trigger)
    data, errors = forms.data_of(spec.api_payload or spec.payload, fields)
    values = forms.form_values(fields)
    if errors:
        return await _trigger_form(request, case, trigger, 422, values=values, errors=errors)
    comment = core.first(fields, "kommentar").strip() or None
    key = core.first(fields, "schluessel")[:100] or None
    try:
        body = TransitionCreate(trigger=trigger, data=data, comment=comment)
        await request.app.state.usecases.cases.transition(case_id, body, found.user, key)
    except ValidationError:
        errors = {"kommentar": "Der Kommentar ist zu lang."}
        return await _trigger_form(request, case, trigger, 422, values=values, errors=errors)
    except DomainError as refused:
        errors = forms.field_errors(refused.extra.get("errors"))
        known = {f.name for f in forms.fields_of(spec.api_payload or spec.payload)}
        general = {k: v for k, v in errors.items() if k not in known}
        status = status_of(refused)
        return await _trigger_form(
            request,
            case,
            trigger,
            status,
            values=values,
            errors={k: v for k, v in errors.items() if k in known},
            refusal=refused,
            general=list(general.values()),
        )
    return core.see_other(f"/faelle/{case_id}", f"{spec.label}: erledigt.")
