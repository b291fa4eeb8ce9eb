"""A plan's text on its way in (R40–R42): the API's payload converter for the plan triggers,
and the plan case and letterhead the API's plan document shares with it.

For plan_vereinbart, fortgeschrieben and the Schlichtung's einigung the request data is the
plan itself (Sozialdaten): it is validated, rendered once to prove it fits on one DIN-A4 page
(R41), stored as a draft, and the workflow receives only the draft id and the content hash
(`kp_entwurf_pruefen` checks them; recording the transition makes the draft a version).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from activities.extensions import PayloadConverter
from notifications.plan_pdf import PlanKopf, PlanZuLang, plan_pdf
from notifications.render import name
from persistence import models as m
from persistence.db import Database, as_utc
from persistence.kooperationsplan import entwurf_speichern, plan_case_id, version
from statemachines.kooperationsplan import SchrittErfasst, add_months
from statemachines.plan_inhalt import PlanInhalt
from statemachines.policy import Policy
from statemachines.refusals import invalid, invalid_payload, unknown, validation_errors


def review_date(policy: Policy, since: datetime | date) -> date:
    return add_months(since, policy.kp_ueberpruefung_monate)


async def plan_case(session, case_id: str) -> tuple[m.Case, m.Person | None]:
    """The Kooperationsplan case behind `case_id` (itself or its Schlichtung's parent) and its person."""
    if await session.get(m.Case, case_id) is None:
        raise unknown(f"Fall {case_id} ist unbekannt.")
    plan_case = await plan_case_id(session, case_id)
    case = await session.get(m.Case, plan_case) if plan_case else None
    if case is None:
        raise unknown(f"Fall {case_id} gehört zu keinem Kooperationsplan.")
    person = await session.get(m.Person, case.person_id) if case.person_id else None
    return case, person


def plan_kopf(case: m.Case, person: m.Person | None, number: int | None, since: datetime, policy: Policy) -> PlanKopf:
    since = as_utc(since)
    return PlanKopf(
        name=name(person) if person else "",
        fallnummer=case.case_id,
        version=number,
        gueltig_ab=since.date(),
        ueberpruefung_bis=review_date(policy, since).date(),
    )


def draft_converter(quelle: str) -> PayloadConverter:
    """The converter of a plan trigger; `quelle` (vereinbart | fortgeschrieben | schlichtung) is
    stored with the draft."""

    async def convert(db: Database, case_id: str, data: dict[str, Any], actor: str, policy: Policy) -> dict[str, Any]:
        try:
            inhalt = PlanInhalt.model_validate(data)
        except ValidationError as refused:
            raise invalid_payload(
                "Der Kooperationsplan ist unvollständig oder ungültig.", errors=validation_errors(refused)
            ) from None
        now = datetime.now(UTC)
        async with db.unit_of_work(read_only=True) as session:
            case, person = await plan_case(session, case_id)
        next_version = int(case.facts.get("plan_version") or 0) + 1
        try:
            plan_pdf(inhalt, plan_kopf(case, person, next_version, now, policy))
        except PlanZuLang as too_long:
            raise invalid(
                "plan-zu-lang",
                "Plan zu lang",
                f"{too_long} (R41). Bitte auf das Wesentliche kürzen: Ziel, wenige Schritte, Unterstützung.",
                seiten=too_long.pages,
            ) from None
        async with db.unit_of_work() as session:
            draft = await entwurf_speichern(session, case.case_id, inhalt, quelle, actor, now)
        return {"entwurf": draft.id, "inhalt_hash": draft.inhalt_hash}

    return convert


async def schritt_converter(db: Database, case_id: str, data: dict[str, Any], actor: str, policy: Policy):
    """schritt_erfasst (R47): the step must exist in the plan in force. The workflow knows the
    number of steps only of plans agreed since R47; the stored version knows it of every plan."""
    try:
        schritt = SchrittErfasst.model_validate(data)
    except ValidationError as refused:
        raise invalid_payload("Ungültige Angaben zum Schritt.", errors=validation_errors(refused)) from None
    async with db.unit_of_work(read_only=True) as session:
        row = await session.run_sync(version, case_id)
    if row is not None and schritt.schritt > len(row.plan.schritte):
        raise invalid_payload(
            f"Schritt {schritt.schritt} gibt es im Kooperationsplan nicht; er hat {len(row.plan.schritte)} Schritte.",
            errors=[
                {
                    "loc": ["schritt"],
                    "msg": f"höchstens {len(row.plan.schritte)}",
                    "type": "less_than_equal",
                    "ctx": {"le": len(row.plan.schritte)},
                }
            ],
        )
    return schritt.model_dump(mode="json")
