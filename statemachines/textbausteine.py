"""Termin-Textbausteine (R15): the Jobcenter's fixed text blocks for Gesprächsvermerke.

Configurable (runtime/settings.py `textbausteine`); these are the defaults, and a configured set
must keep at least the five R15 names (Clearinggespräch, Erstgespräch Bestands-eLb,
Beratungsgespräch, Kontakt mit Arbeitgeber, Fallübergabe): R13 relies on the Fallübergabe block.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Textbaustein(BaseModel):
    label: str = Field(min_length=1, max_length=100)
    vorlage: str = Field("", max_length=2000)  # the structure a Vermerk of this kind follows


REQUIRED = (
    "clearinggespraech",
    "erstgespraech_bestands_elb",
    "beratungsgespraech",
    "kontakt_arbeitgeber",
    "fallubergabe",
)

DEFAULTS = {
    "clearinggespraech": Textbaustein(
        label="Clearinggespräch",
        vorlage="Lebenslage und Ziele:\nUnterstützungsbedarf:\nVereinbart:\nNächster Termin:",
    ),
    "erstgespraech_bestands_elb": Textbaustein(
        label="Erstgespräch Bestands-eLb",
        vorlage="Bisheriger Verlauf:\nAktuelle Situation:\nAngebot Gruppencoaching:\nVereinbart:",
    ),
    "beratungsgespraech": Textbaustein(
        label="Beratungsgespräch",
        vorlage="Anlass:\nBesprochen:\nVereinbart:\nNächster Schritt:",
    ),
    "kontakt_arbeitgeber": Textbaustein(
        label="Kontakt mit Arbeitgeber",
        vorlage="Arbeitgeber:\nAnlass:\nErgebnis:\nNächster Schritt:",
    ),
    "fallubergabe": Textbaustein(
        label="Fallübergabe",
        vorlage="Übergabe von / an:\nStand des Falls:\nOffene Vereinbarungen:\nHinweise für die Weiterarbeit:",
    ),
    "telefonat": Textbaustein(label="Telefonat", vorlage="Anlass:\nBesprochen:\nVereinbart:"),
}


def defaults() -> dict[str, Textbaustein]:
    return dict(DEFAULTS)


def missing(configured: dict[str, Textbaustein]) -> list[str]:
    """The R15 names a configured set lacks."""
    return [name for name in REQUIRED if name not in configured]
