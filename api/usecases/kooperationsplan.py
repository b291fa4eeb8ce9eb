"""The Kooperationsplan as a document and its versions (R41, R42).

The plan's text (Sozialdaten) comes in through the plan triggers' payload converter
(activities/plan_drafts.py) and never goes to Temporal; here it is read back: one DIN-A4 page
per version, and every version with what changed.
"""

from __future__ import annotations

from activities.plan_drafts import plan_case, plan_kopf
from api.schemas.kooperationsplan import PlanVersionPublic, SchlichtungsvorschlagPublic, SchrittStand
from api.usecases.access import require_case
from api.usecases.actors import User
from api.usecases.policies import CasePolicies
from notifications.plan_pdf import plan_pdf
from persistence.db import Database, as_utc
from persistence.kooperationsplan import PlanVersion, schritt_stand, version, versionen, vorschlaege
from statemachines.plan_inhalt import aenderungen
from statemachines.refusals import conflict, unknown


class Kooperationsplan:
    def __init__(self, db: Database, policies: CasePolicies):
        self.db, self.policies = db, policies

    async def pdf(self, case_id: str, user: User, number: int | None) -> tuple[bytes, int, str]:
        """The plan document of a version (default: the newest); returns bytes, version, plan case id.
        `case_id` is the plan case or its Schlichtung; the caller must be able to read it."""
        await require_case(self.db, user, case_id)
        async with self.db.unit_of_work(read_only=True) as session:
            case, person = await plan_case(session, case_id)
            row = await session.run_sync(version, case.case_id, number)
            stand = await schritt_stand(session, row) if row is not None else {}
        if row is None:
            if number is not None:
                raise unknown(f"Version {number} des Kooperationsplans gibt es nicht.")
            raise conflict(
                "kein-plan",
                "Noch kein Kooperationsplan",
                "Für diesen Fall wurde noch kein Kooperationsplan vereinbart.",
            )
        policy = await self.policies.policy(case.policy_id)  # the review date the case's own timer keeps (R42)
        kopf = plan_kopf(case, person, row.version, row.gueltig_ab or row.created_at, policy)
        document = plan_pdf(row.plan, kopf, strict=False, stand=stand)
        return document, row.version, case.case_id

    async def versionen(self, case_id: str, user: User) -> list[PlanVersionPublic]:
        """Every version that was in force, oldest first, with what changed."""
        await require_case(self.db, user, case_id)
        async with self.db.unit_of_work(read_only=True) as session:
            case, _ = await plan_case(session, case_id)
            rows = await versionen(session, case.case_id)
            stands = [await schritt_stand(session, row) for row in rows]
        return [_public(row, rows[i - 1] if i else None, stands[i]) for i, row in enumerate(rows)]

    async def vorschlaege(self, case_id: str, user: User) -> list[SchlichtungsvorschlagPublic]:
        """R53: every proposal of the plan case's Schlichtungen, oldest first, with what it changes."""
        await require_case(self.db, user, case_id)
        async with self.db.unit_of_work(read_only=True) as session:
            case, _ = await plan_case(session, case_id)
            rows = await vorschlaege(session, case.case_id)
            in_force = await versionen(session, case.case_id)
        return [_vorschlag(row, _before(in_force, row)) for row in rows]


def _before(versions: list[PlanVersion], row: PlanVersion) -> PlanVersion | None:
    """The version in force when the proposal was made."""
    made = as_utc(row.created_at)
    earlier = [v for v in versions if v.gueltig_ab is not None and as_utc(v.gueltig_ab) <= made]
    return earlier[-1] if earlier else None


def _vorschlag(row: PlanVersion, before: PlanVersion | None) -> SchlichtungsvorschlagPublic:
    return SchlichtungsvorschlagPublic(
        entwurf=row.id,
        erstellt_von=row.erstellt_von,
        erstellt_am=row.created_at,
        inhalt=row.plan,
        aenderungen=aenderungen(before.plan if before else None, row.plan),
    )


async def plan_schritte(session, case_id: str) -> list[SchrittStand] | None:
    """R47: the steps of the newest version and their status (None: no plan agreed yet)."""
    row = await session.run_sync(version, case_id)
    return schritte_public(row, await schritt_stand(session, row)) if row is not None else None


def schritte_public(row: PlanVersion, stand: dict[int, str]) -> list[SchrittStand]:
    return [
        SchrittStand(nr=nr, was=s.was, wer=s.wer, bis=s.bis, durch=s.durch, status=stand.get(nr, "offen"))
        for nr, s in enumerate(row.plan.schritte, 1)
    ]


def _public(row: PlanVersion, before: PlanVersion | None, stand: dict[int, str]) -> PlanVersionPublic:
    return PlanVersionPublic(
        version=row.version,
        status=row.status,
        quelle=row.quelle,
        gueltig_ab=row.gueltig_ab,
        erstellt_von=row.erstellt_von,
        inhalt=row.plan,
        aenderungen=aenderungen(before.plan if before else None, row.plan),
        schritte=schritte_public(row, stand),
        pdf_url=f"/api/v1/cases/{row.case_id}/kooperationsplan.pdf?version={row.version}",
    )
