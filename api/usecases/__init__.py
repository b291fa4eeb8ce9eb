"""The use cases both faces of the API share: the JSON routes (api/routes/) and the staff pages
(api/pages/). HTTP-free: nothing here imports FastAPI or Starlette (a test checks);
a refusal is a DomainError (statemachines/refusals.py), which api/errors.py maps to
problem+json and a page shows inline. Inputs and results are the models of api/schemas/.

    case_commands  create a case, fire a trigger (checks, request rows, Temporal calls)
    case_reads     read a case, list cases, its audit trail and letters
    case_diagram   a case's diagram (its state, the viewer's next steps)
    tasks          the inbox: list, add, claim, complete, reassign
    sitzungen      group sessions (R20, R21)
    buchungen      their bookings and attendance (R22)
    infoveranstaltungen  information events and attendance (R31–R33)
    kooperationsplan     the plan document and its versions (R41, R42)
    erasure        Art. 17 DSGVO
    schlichtung    who may be appointed Schlichtungsperson (R52)
    policies       each case's policy and the machines deciding with it
    people         find a person, attach a new case to a known one (R14)
    fallakte       one person's cases, tasks, Vermerke and plan in force (R16)
    vermerke       Gesprächsvermerke with Termin-Textbausteine (R15)
    teilnehmendenzugang  a participant's access to their case (R22)
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.client import Client

from api.usecases.arbeitgeber import Arbeitgeber
from api.usecases.buchungen import Buchungen
from api.usecases.case_commands import CaseCommands
from api.usecases.case_diagram import CaseDiagrams
from api.usecases.case_reads import CaseReads
from api.usecases.erasure import Erasure
from api.usecases.fallakte import Fallakten
from api.usecases.infoveranstaltungen import Infoveranstaltungen
from api.usecases.kooperationsplan import Kooperationsplan
from api.usecases.people import People
from api.usecases.policies import CasePolicies
from api.usecases.schlichtung import Schlichtung
from api.usecases.sitzungen import Sitzungen
from api.usecases.tasks import Tasks
from api.usecases.teilnehmendenzugang import Teilnehmendenzugaenge
from api.usecases.vermerke import Vermerke
from persistence.db import Database
from runtime.settings import Settings


@dataclass(frozen=True)
class UseCases:
    cases: CaseCommands
    case_reads: CaseReads
    tasks: Tasks
    sitzungen: Sitzungen
    buchungen: Buchungen
    infoveranstaltungen: Infoveranstaltungen
    kooperationsplan: Kooperationsplan
    erasure: Erasure
    arbeitgeber: Arbeitgeber
    diagrams: CaseDiagrams
    schlichtung: Schlichtung
    people: People
    fallakte: Fallakten
    vermerke: Vermerke
    zugaenge: Teilnehmendenzugaenge

    @classmethod
    def build(cls, db: Database, client: Client, settings: Settings) -> UseCases:
        policies = CasePolicies(db, settings)
        reads = CaseReads(db, settings, policies, client)
        cases = CaseCommands(db, client, settings, policies, reads)
        vermerke = Vermerke(db, settings)
        return cls(
            cases=cases,
            case_reads=reads,
            tasks=Tasks(db),
            sitzungen=Sitzungen(db, client, settings),
            buchungen=Buchungen(db, settings.policy),
            infoveranstaltungen=Infoveranstaltungen(db, cases, settings),
            kooperationsplan=Kooperationsplan(db, policies),
            erasure=Erasure(db),
            arbeitgeber=Arbeitgeber(db),
            diagrams=CaseDiagrams(db, policies),
            schlichtung=Schlichtung(db),
            people=People(db),
            fallakte=Fallakten(db, vermerke, policies),
            vermerke=vermerke,
            zugaenge=Teilnehmendenzugaenge(db, settings),
        )
