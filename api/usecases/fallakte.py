"""The Fallakte (R13, R16): one view per person for a stand-in. All of the person's cases the
caller may read, with state and deadlines, their open tasks, the last Vermerke and the
Kooperationsplan in force, and the person's running and past Minderungen (R64–R67) with the
§ 31b limit of each. A person without a case the caller may read is UNKNOWN."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.schemas.common import Named
from api.schemas.people import Fallakte, FallakteFall, MinderungEintrag, MinderungVorschlag, Vereinbarung
from api.usecases import access, people, views
from api.usecases.actors import User
from api.usecases.policies import CasePolicies
from api.usecases.tasks import OFFEN, task_public
from api.usecases.vermerke import Vermerke
from persistence import models as m
from persistence.db import Database
from persistence.kooperationsplan import PLAN_PROCESS, version
from persistence.vermerke import Vermerk
from statemachines import Policy, get_process
from statemachines.minderung import ABSEHEN_LABELS, ANLASS_LABELS, HAERTE_LABELS, MINDERUNG, feststellung_frist
from statemachines.minderung_vorschlag import REGIME_LABELS

PREFIX = "/api/v1"
LAST_VERMERKE = 10
REVIEW_TRIGGER = "ueberpruefung_faellig"
LIMIT_TRIGGER = "frist_fuer_feststellung_abgelaufen"


class Fallakten:
    def __init__(self, db: Database, vermerke: Vermerke, policies: CasePolicies | None = None):
        self.db, self.vermerke, self.policies = db, vermerke, policies

    async def read(self, person_id: str, user: User) -> Fallakte:
        """Read in one sync session in the database's thread (bench/people.py: the async driver
        cost more than the five small queries)."""
        readable = sorted(access.processes(user))

        def read(session: Session) -> Fallakte:
            now = datetime.now(UTC)
            person = session.scalar(
                select(m.Person).where(m.Person.person_id == person_id, people.visible(user, m.Person.person_id))
            )
            if person is None:
                raise people.person_unknown(person_id)
            cases = list(
                session.scalars(
                    select(m.Case)
                    .where(m.Case.person_id == person_id, m.Case.process.in_(readable))
                    .order_by(m.Case.created_at, m.Case.case_id)
                )
            )
            ids = [c.case_id for c in cases]
            tasks = session.scalars(
                select(m.Task)
                .where(m.Task.case_id.in_(ids), m.Task.status == OFFEN)
                .order_by(m.Task.priority, m.Task.vorrang.desc(), m.Task.due, m.Task.id)
            ).all()
            vermerke = session.scalars(
                select(Vermerk)
                .where(Vermerk.case_id.in_(ids))
                .order_by(Vermerk.created_at.desc(), Vermerk.id.desc())
                .limit(LAST_VERMERKE)
            ).all()
            plans = [
                (case, version(session, case.case_id))
                for case in cases
                if case.process == PLAN_PROCESS and not case.final
            ]
            by_case: dict[str, list] = {}
            for task in tasks:
                by_case.setdefault(task.case_id, []).append(task_public(task, now))
            return Fallakte(
                person=views.person_public(person),
                faelle=[_fall(case, by_case.get(case.case_id, [])) for case in cases],
                offene_aufgaben=len(tasks),
                letzte_vermerke=[self.vermerke.public(v) for v in vermerke],
                vereinbarungen=[_vereinbarung(case, row) for case, row in plans if row is not None],
            )

        akte = await self.db.run(read, read_only=True)
        return akte.model_copy(update={"minderungen": await self._minderungen(akte)})

    async def _minderungen(self, akte: Fallakte) -> list[MinderungEintrag]:
        """R64–R67: the person's Minderungen the caller may read, running first, newest event first."""
        ids = [f.case_id for f in akte.faelle if f.process.name == MINDERUNG.name]
        if not ids:
            return []

        def read(session: Session) -> list[_Row]:
            cases = session.scalars(select(m.Case).where(m.Case.case_id.in_(ids)))
            return [_Row(c.case_id, c.state, c.final, dict(c.facts), c.regime, c.policy_id) for c in cases]

        entries = []
        for row in await self.db.run(read, read_only=True):
            policy = await self.policies.policy(row.policy_id) if self.policies else Policy()
            entries.append(_minderung(row, policy))
        return sorted(entries, key=lambda e: (not e.laeuft, -e.ereignis_am.timestamp(), e.case_id))


def _fall(case: m.Case, tasks: list) -> FallakteFall:
    process = get_process(case.process)
    return FallakteFall(
        case_id=case.case_id,
        process=Named(name=process.name, label=process.label),
        state=views.named_state(process, case.state),
        final=case.final,
        overdue=case.overdue,
        deadlines=views.deadlines_public(process, case),
        offene_aufgaben=tasks,
        created_at=case.created_at,
        updated_at=case.updated_at,
        url=f"{PREFIX}/cases/{case.case_id}",
    )


def _vereinbarung(case: m.Case, row) -> Vereinbarung:
    process = get_process(case.process)
    review = next((d["due"] for d in case.deadlines.get("items", []) if d.get("trigger") == REVIEW_TRIGGER), None)
    return Vereinbarung(
        case_id=case.case_id,
        version=row.version,
        state=views.named_state(process, case.state),
        vereinbart_am=row.gueltig_ab or row.created_at,
        ueberpruefung_faellig=review,
        inhalt=row.inhalt,
        url=f"{PREFIX}/cases/{case.case_id}/kooperationsplan/versionen",
    )


def _named(value: str | None, labels: dict[str, str]) -> Named | None:
    return None if value is None else Named(name=value, label=labels.get(value, value))


class _Row(NamedTuple):
    case_id: str
    state: str
    final: bool
    facts: dict[str, Any]
    regime: str | None
    policy_id: str | None


def _minderung(case: _Row, policy: Policy) -> MinderungEintrag:
    """One Minderung from its case's facts; the § 31b limit as its workflow computes it (R64)."""
    facts = MINDERUNG.facts.model_validate(case.facts)
    v = facts.vorschlag
    regime = facts.regime or case.regime or ""
    return MinderungEintrag(
        case_id=case.case_id,
        state=views.named_state(MINDERUNG, case.state),
        laeuft=not case.final,
        anlass=_named(facts.anlass, ANLASS_LABELS),
        regime=Named(name=regime, label=REGIME_LABELS.get(regime, regime)),
        ereignis_am=facts.ereignis_am,
        vorschlag=None
        if v is None
        else MinderungVorschlag(
            prozent=v.prozent, monate=v.monate, entzug=v.entzug, stufe=v.stufe, begruendung=list(v.begruendung)
        ),
        prozent=facts.prozent,
        monate=facts.monate,
        beginn=facts.beginn if isinstance(facts.beginn, date) else None,
        entzug=facts.entzug,
        haertepruefung=_named(facts.haertepruefung, HAERTE_LABELS),
        abgesehen_grund=_named(facts.abgesehen_grund, ABSEHEN_LABELS),
        entschieden_am=facts.entschieden_am,
        frist_feststellung=feststellung_frist(facts, policy),
        url=f"{PREFIX}/cases/{case.case_id}",
    )
