"""The Kooperationsplan's document and version history (R41, R42; api/usecases/kooperationsplan.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import AnyUser, KooperationsplanDep
from api.routes.cases import PROBLEMS
from api.schemas.common import MAX_ID
from api.schemas.kooperationsplan import PlanVersionPublic, SchlichtungsvorschlagPublic

router = APIRouter(prefix="/cases", tags=["kooperationsplan"])


@router.get(
    "/{case_id}/kooperationsplan.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "eine DIN-A4-Seite"}, **PROBLEMS},
)
async def read_kooperationsplan_pdf(
    case_id: str,
    user: AnyUser,
    plans: KooperationsplanDep,
    version: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """The plan as one DIN-A4 page: the newest version, or `version`."""
    document, number, plan_case = await plans.pdf(case_id, user, version)
    filename = f"kooperationsplan-{plan_case}-v{number}.pdf"
    return Response(
        document, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )


@router.get("/{case_id}/kooperationsplan/versionen", response_model=list[PlanVersionPublic], responses=PROBLEMS)
async def read_kooperationsplan_versionen(
    case_id: str, user: AnyUser, plans: KooperationsplanDep
) -> list[PlanVersionPublic]:
    """Every version that was in force, oldest first, with what changed."""
    return await plans.versionen(case_id, user)


@router.get(
    "/{case_id}/kooperationsplan/schlichtungsvorschlaege",
    response_model=list[SchlichtungsvorschlagPublic],
    responses=PROBLEMS,
)
async def read_schlichtungsvorschlaege(
    case_id: str, user: AnyUser, plans: KooperationsplanDep
) -> list[SchlichtungsvorschlagPublic]:
    """R53: the Schlichtungen's proposals, kept also when no agreement was reached, oldest first."""
    return await plans.vorschlaege(case_id, user)
