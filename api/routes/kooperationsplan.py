"""The Kooperationsplan's document and version history (R41, R42)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api import access
from api.schemas import MAX_ID
from api.deps import AnyUser
from api.kooperationsplan import KooperationsplanService, PlanVersionPublic
from api.routes.cases import PROBLEMS

router = APIRouter(prefix="/cases", tags=["kooperationsplan"])


def _service(request: Request) -> KooperationsplanService:
    return request.app.state.kooperationsplan


@router.get(
    "/{case_id}/kooperationsplan.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "eine DIN-A4-Seite"}, **PROBLEMS},
)
async def read_kooperationsplan_pdf(
    case_id: str, user: AnyUser, request: Request, version: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> Response:
    """The plan as one DIN-A4 page: the newest version, or `version`."""
    await access.require_case(request.app.state.db, user, case_id)  # the plan case or its Schlichtung
    document, number, plan_case = await _service(request).pdf(case_id, version)
    filename = f"kooperationsplan-{plan_case}-v{number}.pdf"
    return Response(document, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'})


@router.get("/{case_id}/kooperationsplan/versionen", response_model=list[PlanVersionPublic], responses=PROBLEMS)
async def read_kooperationsplan_versionen(case_id: str, user: AnyUser, request: Request) -> list[PlanVersionPublic]:
    """Every version that was in force, oldest first, with what changed."""
    await access.require_case(request.app.state.db, user, case_id)
    return await _service(request).versionen(case_id)
