"""Kooperationsplan use cases behind the API: plan content in, plan document out.

The plan's text (Sozialdaten) never goes to Temporal: for plan_vereinbart,
fortgeschrieben and the Schlichtung's einigung the request body is the plan
content; it is validated, rendered once to prove it fits on one DIN-A4 page
(R41, else 422), stored as a draft, and the workflow receives only the draft id
and the content hash. The draft becomes a valid version when the transition is recorded.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from pydantic import BaseModel, ValidationError

from api.auth import User
from api.cases import PayloadConverter
from api.errors import Problem, not_found
from notifications.plan_pdf import PlanKopf, PlanZuLang, plan_pdf
from notifications.render import name
from persistence import models as m
from persistence.db import Database, as_utc
from persistence.kooperationsplan import PlanVersion, entwurf_speichern, plan_case_id, version, versionen
from runtime.settings import Settings
from statemachines.kooperationsplan import add_months
from statemachines.plan_inhalt import PlanInhalt, aenderungen

SOURCES = {
    ("kooperationsplan", "plan_vereinbart"): "vereinbart",
    ("kooperationsplan", "fortgeschrieben"): "fortgeschrieben",
    ("schlichtung", "einigung"): "schlichtung",
}


class PlanVersionPublic(BaseModel):
    version: int
    status: str  # gueltig | abgeloest
    quelle: str  # vereinbart | fortgeschrieben | schlichtung
    gueltig_ab: datetime | None
    erstellt_von: str
    inhalt: PlanInhalt
    aenderungen: list[str]  # what changed against the version before (R42)
    pdf_url: str


def _review(settings: Settings, since: datetime | date) -> date:
    return add_months(since, settings.policy.kp_ueberpruefung_monate)


async def _plan_case(session, case_id: str) -> tuple[m.Case, m.Person | None]:
    if await session.get(m.Case, case_id) is None:
        raise not_found(f"Fall {case_id} ist unbekannt.")
    plan_case = await plan_case_id(session, case_id)
    case = await session.get(m.Case, plan_case) if plan_case else None
    if case is None:
        raise not_found(f"Fall {case_id} gehört zu keinem Kooperationsplan.")
    person = await session.get(m.Person, case.person_id) if case.person_id else None
    return case, person


def _kopf(case: m.Case, person: m.Person | None, number: int | None, since: datetime, settings: Settings) -> PlanKopf:
    since = as_utc(since)
    return PlanKopf(
        name=name(person) if person else "",
        fallnummer=case.case_id,
        version=number,
        gueltig_ab=since.date(),
        ueberpruefung_bis=_review(settings, since).date(),
    )


def converters(settings: Settings) -> dict[tuple[str, str], PayloadConverter]:
    """The payload converters CaseService applies to the plan triggers."""

    def converter(quelle: str) -> PayloadConverter:
        async def convert(db: Database, case_id: str, data: dict[str, Any], user: User) -> dict[str, Any]:
            try:
                inhalt = PlanInhalt.model_validate(data)
            except ValidationError as invalid:
                errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in invalid.errors()]
                raise Problem(422, "invalid-payload", "Ungültige Daten", "Der Kooperationsplan ist unvollständig oder ungültig.", errors=errors) from None
            now = datetime.now(timezone.utc)
            async with db.unit_of_work(read_only=True) as session:
                case, person = await _plan_case(session, case_id)
            next_version = int(case.facts.get("plan_version") or 0) + 1
            try:
                plan_pdf(inhalt, _kopf(case, person, next_version, now, settings))
            except PlanZuLang as too_long:
                raise Problem(
                    422, "plan-zu-lang", "Plan zu lang",
                    f"{too_long} (R41). Bitte auf das Wesentliche kürzen: Ziel, wenige Schritte, Unterstützung.",
                    seiten=too_long.pages,
                ) from None
            async with db.unit_of_work() as session:
                draft = await entwurf_speichern(session, case.case_id, inhalt, quelle, user.user, now)
            return {"entwurf": draft.id, "inhalt_hash": draft.inhalt_hash}

        return convert

    return {key: converter(quelle) for key, quelle in SOURCES.items()}


class KooperationsplanService:
    def __init__(self, db: Database, settings: Settings):
        self.db, self.settings = db, settings

    async def pdf(self, case_id: str, number: int | None) -> tuple[bytes, int, str]:
        """The plan document of a version (default: the newest); returns bytes, version, plan case id."""
        async with self.db.unit_of_work(read_only=True) as session:
            case, person = await _plan_case(session, case_id)
            row = await session.run_sync(version, case.case_id, number)
        if row is None:
            if number is not None:
                raise not_found(f"Version {number} des Kooperationsplans gibt es nicht.")
            raise Problem(409, "kein-plan", "Noch kein Kooperationsplan", "Für diesen Fall wurde noch kein Kooperationsplan vereinbart.")
        document = plan_pdf(row.plan, _kopf(case, person, row.version, row.gueltig_ab or row.created_at, self.settings), strict=False)
        return document, row.version, case.case_id

    async def versionen(self, case_id: str) -> list[PlanVersionPublic]:
        async with self.db.unit_of_work(read_only=True) as session:
            case, _ = await _plan_case(session, case_id)
            rows = await versionen(session, case.case_id)
        return [_public(row, rows[i - 1] if i else None) for i, row in enumerate(rows)]


def _public(row: PlanVersion, before: PlanVersion | None) -> PlanVersionPublic:
    return PlanVersionPublic(
        version=row.version,
        status=row.status,
        quelle=row.quelle,
        gueltig_ab=row.gueltig_ab,
        erstellt_von=row.erstellt_von,
        inhalt=row.plan,
        aenderungen=aenderungen(before.plan if before else None, row.plan),
        pdf_url=f"/api/v1/cases/{row.case_id}/kooperationsplan.pdf?version={row.version}",
    )
