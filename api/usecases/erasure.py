"""Erasure of a person's data under Art. 17 DSGVO (persistence/erasure.py), for the Teamleitung."""

from __future__ import annotations

from api.schemas.loeschung import LoeschungPublic
from api.usecases.access import case_unknown, holds
from api.usecases.actors import User
from persistence import erasure
from persistence.db import Database
from statemachines.refusals import conflict, role_not_allowed
from statemachines.roles import ERASE, TEAMLEITUNG


class Erasure:
    def __init__(self, db: Database):
        self.db = db

    async def erase(self, case_id: str, user: User) -> LoeschungPublic:
        """Erase the personal data of the person behind the case, in all of their cases; refused
        (CONFLICT) while any of those cases is not final, and when they are erased already (nothing is
        recorded again)."""
        if not holds(user, ERASE):
            raise role_not_allowed("Löschungen veranlasst nur die Teamleitung.", roles=sorted(ERASE.roles))
        try:
            done = await erasure.erase(self.db, case_id, user.user, TEAMLEITUNG)
        except erasure.CaseUnknown:
            raise case_unknown(case_id) from None
        except erasure.AlreadyErased as earlier:
            raise conflict(
                "bereits-geloescht",
                "Bereits gelöscht",
                f"Die personenbezogenen Daten zu Fall {case_id} sind bereits gelöscht (Löschung {earlier.erasure_id} "
                f"vom {earlier.erased_at:%d.%m.%Y}); es gibt nichts mehr zu löschen.",
                loeschung_id=earlier.erasure_id,
            ) from None
        except erasure.CasesStillOpen as refused:
            raise conflict(
                "loeschung-nicht-moeglich",
                "Löschung nicht möglich",
                "Die Daten werden noch benötigt: nicht abgeschlossen sind die Fälle "
                + ", ".join(refused.case_ids)
                + ".",
                offene_faelle=refused.case_ids,
            ) from None
        return LoeschungPublic(
            loeschung_id=done.erasure_id,
            case_ids=done.case_ids,
            counts=done.counts,
            erased_at=done.erased_at,
            actor=done.actor,
        )
