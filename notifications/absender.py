"""R19: the sender of a letter from the settings: the unit that signs the template, at the case's location."""

from __future__ import annotations

from notifications.render import TEMPLATES, Absender
from runtime.settings import Briefkopf


def absender(briefkopf: Briefkopf, template: str, standort: str | None = None) -> Absender:
    einheit = briefkopf.einheiten[TEMPLATES[template].einheit]
    ort = einheit.am(standort)
    return Absender(
        name=briefkopf.jobcenter,
        abteilung=einheit.bezeichnung,
        anschrift=ort.anschrift,
        telefon=ort.telefon,
        oeffnungszeiten=ort.oeffnungszeiten,
        ansprechpartner=einheit.ansprechpartner,
        email=einheit.email,
        raum=ort.raum,
    )
