"""The rules of the Fachkonzept (../shared/DOMAIN.md) by their stable ids, with a short German title.

Declarations cite them (`State.rules`, `Trigger.rules`, and "(R11)" in guard, task and
deadline labels); the training pages show the title beside the id. Ids never change.
"""

from __future__ import annotations

import re

RULES: dict[str, str] = {
    # Neuantrag and Clearing
    "R1": "JA-Clearing für alle Neuantragsteller bis zur Bewilligung",
    "R2": "Kurzes Clearinggespräch mit allen Neuantragstellern",
    "R3": "Gruppencoaching als Sofortangebot",
    "R4": "Rehabilitanden: Clearing bis zur Bewilligung, dann IFK-Reha",
    "R5": "Aktive Kontaktaufnahme, solange kein Clearingtermin besteht",
    "R6": "Ohne Gruppencoaching: Clearing bis zur Bewilligung, dann IFK mit Fallübergabe",
    "R7": "Eigener Plan: Wiedervorlage und erneute Einladung",
    "R8": "ALG-I-Bezug: Wiedervorlage, Einladung spätestens eine Woche nach dem Ende",
    "R9": "Persönlicher Antrag: die EGS übergibt an das Clearing",
    "R10": "Online-Antrag: erst persönliche Identitätsprüfung, dann Übergabe",
    "R11": "Dem Clearing entzogen: nach der Bewilligung direkt zur IFK",
    "R12": "Keine Übergabe an IFK oder IFK-Reha vor der Bewilligung",
    "R13": "Jeder Wechsel zwischen Jobakademie und IFK mit Fallübergabe",
    # People, documentation and hand-offs
    "R14": "Ein Mensch, ein Personendatensatz",
    "R15": "Gesprächsvermerke mit Termin-Textbausteinen",
    "R16": "Fallakte: alle Fälle einer Person auf einen Blick",
    "R17": "Kein Fall wartet auf niemanden",
    "R18": "Aufgaben sind fällig, wenn ihre Arbeit fällig ist",
    "R19": "Briefe sind versandfertig",
    # Group coaching
    "R20": "Gruppensetting: drei Termine pro Woche, mindestens fünf Teilnehmende",
    "R21": "Zu wenige Teilnehmende: die Jobcoaches entscheiden rechtzeitig",
    "R22": "Teilnehmende buchen ihre Gruppentermine selbst",
    "R23": "Einzige Voraussetzung: die Bereitschaft zur Teilnahme",
    "R24": "Bestands-eLb: Übergabegespräch, mögliche Probezeit",
    "R25": "Jobturbo: Geflüchtete nach Integrations- und Sprachkurs zuerst",
    "R26": "Junge Menschen: nach der Schulpflicht, nicht für eine erste Ausbildung",
    "R27": "Rangfolge der Aufgaben der Jobcoaches",
    "R28": "Arbeitgeberservice der Jobcoaches",
    # Rechtskreiswechsel
    "R30": "Einladung rund drei Monate vor dem Ende des ALG I",
    "R31": "Infoveranstaltungen zweimal im Monat je Standort",
    "R32": "Einzelberatung binnen vier Wochen nach der Infoveranstaltung",
    "R33": "Nicht erschienen: Einladung zur nächsten Infoveranstaltung",
    "R34": "Wechsel ohne Lücke: Unterlagen austauschen, Neuantrag mit den ALG-I-Daten",
    # Kooperationsplan
    "R40": "Gemeinsam erstellt nach der Potenzialanalyse",
    "R41": "Eine Seite, verständlich, ohne Unterschrift und ohne RFB",
    "R42": "Gemeinsame Überprüfung spätestens alle sechs Monate, in Fassungen",
    "R43": "Keine RFB, solange die Zusammenarbeit funktioniert",
    "R44": "Fehlende Mitwirkung: Aufforderung mit RFB, Ziel ist die Rückkehr zur Zusammenarbeit",
    "R45": "Ohne Plan ergeht jede Aufforderung mit RFB",
    "R46": "Frühzeitig melden, wenn eine Absprache nicht zu halten ist",
    "R47": "Jeder Schritt hat einen Stand und eine Wiedervorlage",
    # Schlichtung
    "R50": "Schlichtung bei Uneinigkeit über den Plan",
    "R51": "Eingeleitet von der Person, der Fachkraft oder beiden",
    "R52": "Die Schlichtungsperson war nicht mit dem Fall befasst",
    "R53": "Eine gemeinsame Lösung, die beide Seiten tragen",
    "R54": "Höchstens vier Wochen ab Antrag, ohne Pause",
    "R55": "Keine Leistungsminderung während der Schlichtung",
    "R56": "Ohne Einigung und ohne Plan gilt R45",
    # Law changes
    "R60": "Fristen, Schwellen und Intervalle sind Einstellungen",
    "R61": "Rechtsstände mit Datum",
    "R62": "Keine Schlichtung unter der Neuen Grundsicherung",
    "R63": "Pflichten per Verwaltungsakt unter der Neuen Grundsicherung",
    "R64": "Meldeversäumnis: Anhörung, dann Vorschlag einer Minderung",
    "R65": "Pflichtverletzung: Anhörung, Härteprüfung, Minderung",
    "R66": "Nicht erreichbar: Leistungen ruhen bis zur persönlichen Meldung",
    "R67": "Über Leistungen entscheidet die Leistungsabteilung, nie ein Zeitgeber",
}

_CITED = re.compile(r"\bR(\d{1,2})\b")


def cited(text: str) -> tuple[str, ...]:
    """Rule ids a label cites, e.g. "Leistung bewilligt (R12)" → ("R12",); "(R50, R60)" → both."""
    return tuple(f"R{n}" for n in _CITED.findall(text))


def ordered(ids) -> tuple[str, ...]:
    """Ids without repeats, by number."""
    return tuple(sorted(set(ids), key=lambda r: int(r[1:])))
