"""The proposal of a Leistungsminderung (R64–R66), computed from the regime and the facts.

A pure function: the system proposes, the `leistung` role decides (R67). The proposal names
the facts it rests on (earlier Minderungen of the person and their dates, the count of
consecutive missed appointments) and is never above the cap (R65: the limit the Federal
Constitutional Court set, policy), counting the Minderungen that still run.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from statemachines.kooperationsplan import add_months
from statemachines.policy import MinderungsRegeln, Policy

Anlass = Literal["meldeversaeumnis", "pflichtverletzung", "nicht_erreichbar"]
BUERGERGELD_2023 = "buergergeld_2023"
GRUNDSICHERUNG_2026 = "grundsicherung_2026"
REGIMES = (BUERGERGELD_2023, GRUNDSICHERUNG_2026)
Regime = Literal["buergergeld_2023", "grundsicherung_2026"]
NEUE_GRUNDSICHERUNG_AB = date(2026, 7, 1)  # R61
REGIME_LABELS = {
    BUERGERGELD_2023: "Bürgergeld (SGB II in der Fassung bis 30.06.2026)",
    GRUNDSICHERUNG_2026: "Neue Grundsicherung (SGB II in der Fassung ab 01.07.2026)",
}


def regime_am(day: date) -> str:
    """The regime in force on `day` (R61) for a case that was given none."""
    return GRUNDSICHERUNG_2026 if day >= NEUE_GRUNDSICHERUNG_AB else BUERGERGELD_2023


class FruehereMinderung(BaseModel):
    """A Minderung decided earlier for the same person (from the read model)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    case_id: str
    anlass: Anlass
    ereignis_am: date  # the missed appointment or the breach of duty
    festgestellt_am: date
    beginn: date
    prozent: int = 0
    monate: int = 0
    entzug: bool = False

    def laeuft_am(self, day: date) -> bool:
        start = datetime(self.beginn.year, self.beginn.month, self.beginn.day)
        return self.beginn <= day < add_months(start, self.monate).date()


class Vorschlag(BaseModel):
    """What the system proposes; shown to `leistung` with the facts it rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    anlass: Anlass
    regime: str
    prozent: int = 0  # of the Regelbedarf; 0: no Minderung proposed
    monate: int = 0
    entzug: bool = False  # R66: benefits withheld until the person reports in person
    kdu_an_vermieter_monate: int = 0  # R66: housing costs paid to the landlord for so many months
    stufe: int = 0  # R65: the step of a repeated breach (1 = first)
    versaeumnisse_in_folge: int = 0
    obergrenze_prozent: int  # R65: the cap
    laufend_prozent: int = 0  # Minderungen that still run today
    verfuegbar_prozent: int  # what a decision may still set: cap minus running
    gekappt: bool = False
    begruendung: list[str] = Field(default_factory=list)  # German, for the decision page and letters
    grundlagen: list[FruehereMinderung] = Field(default_factory=list)


def regeln(policy: Policy, regime: str) -> MinderungsRegeln:
    try:
        return policy.minderung_regeln[regime]
    except KeyError:
        raise ValueError(f"Für den Rechtsstand {regime} sind keine Minderungsregeln eingestellt") from None


def anlass_fuer_versaeumnis(policy: Policy, regime: str, versaeumnisse_in_folge: int) -> Anlass:
    """R66: from the configured count of consecutive misses on, the person counts as not reachable."""
    ab = regeln(policy, regime).nicht_erreichbar_ab
    return "nicht_erreichbar" if ab and versaeumnisse_in_folge >= ab else "meldeversaeumnis"


def vorschlag(
    policy: Policy,
    regime: str,
    anlass: Anlass,
    ereignis_am: date,
    heute: date,
    frueher: list[FruehereMinderung],
    versaeumnisse_in_folge: int = 0,
) -> Vorschlag:
    r = regeln(policy, regime)
    cap = policy.minderung_obergrenze_prozent
    laufend = sum(m.prozent for m in frueher if not m.entzug and m.laeuft_am(heute))
    verfuegbar = max(0, cap - laufend)
    gruende: list[str] = [f"Rechtsstand: {REGIME_LABELS.get(regime, regime)}"]
    prozent = monate = stufe = kdu = 0
    entzug = False
    grundlagen: list[FruehereMinderung] = []
    if anlass == "nicht_erreichbar":
        entzug, kdu = True, r.kdu_an_vermieter_monate
        gruende.append(
            f"{versaeumnisse_in_folge} Meldetermine in Folge ohne wichtigen Grund versäumt (ab {r.nicht_erreichbar_ab}"
            " gilt die Person als nicht erreichbar, R66): Leistungen entfallen bis zur persönlichen Meldung;"
            f" Kosten der Unterkunft {kdu} Monat(e) direkt an die Vermieterin oder den Vermieter."
        )
    elif anlass == "meldeversaeumnis":
        if versaeumnisse_in_folge >= r.meldeversaeumnis_ab:
            prozent, monate = r.meldeversaeumnis_prozent, r.meldeversaeumnis_monate
            gruende.append(
                f"Meldeversäumnis Nr. {versaeumnisse_in_folge} in Folge: {prozent} % für {monate} Monat(e) (R64)."
            )
        else:
            gruende.append(
                f"Meldeversäumnis Nr. {versaeumnisse_in_folge} in Folge: nach diesem Rechtsstand erst ab dem"
                f" {r.meldeversaeumnis_ab}. Versäumnis eine Minderung (R64); kein Vorschlag."
            )
    else:
        grundlagen = sorted(
            (
                m
                for m in frueher
                if m.anlass == "pflichtverletzung"
                and m.ereignis_am <= ereignis_am
                and ereignis_am - m.ereignis_am <= r.wiederholung_innerhalb
            ),
            key=lambda m: m.ereignis_am,
        )
        stufe = min(len(grundlagen), len(r.pflichtverletzung_stufen) - 1) + 1
        prozent, monate = r.pflichtverletzung_stufen[stufe - 1]
        if grundlagen:
            daten = ", ".join(f"{m.ereignis_am:%d.%m.%Y} ({m.prozent} %)" for m in grundlagen)
            gruende.append(f"Frühere Pflichtverletzungen innerhalb des Zeitraums: {daten}.")
        gruende.append(f"Stufe {stufe}: {prozent} % für {monate} Monat(e) (R65).")
    if anlass == "meldeversaeumnis":
        grundlagen = [m for m in frueher if m.anlass == "meldeversaeumnis"]
    gekappt = prozent > verfuegbar
    if gekappt:
        gruende.append(f"Gekappt auf {verfuegbar} %: Obergrenze {cap} %, davon laufen bereits {laufend} % (R65).")
        prozent = verfuegbar
    return Vorschlag(
        anlass=anlass,
        regime=regime,
        prozent=prozent,
        monate=monate if prozent else 0,
        entzug=entzug,
        kdu_an_vermieter_monate=kdu,
        stufe=stufe,
        versaeumnisse_in_folge=versaeumnisse_in_folge,
        obergrenze_prozent=cap,
        laufend_prozent=laufend,
        verfuegbar_prozent=verfuegbar,
        gekappt=gekappt,
        begruendung=gruende,
        grundlagen=grundlagen,
    )
