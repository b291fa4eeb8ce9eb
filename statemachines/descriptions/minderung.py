"""What the states and triggers of minderung mean, in German: for the training and case pages."""

from statemachines.spec import Text

STATES = {
    "anhoerung": Text(
        "Die Person ist angehört (Anhörungsbrief mit Antwortfrist). Vor jeder Entscheidung kommen Anhörung "
        "und Härteprüfung.",
        ("R64", "R65"),
    ),
    "entscheidung_offen": Text(
        "Die Anhörung ist beendet. Das System hat einen Vorschlag nach dem Rechtsstand berechnet; die "
        "Leistungsabteilung entscheidet, spätestens sechs Monate nach dem Ereignis.",
        ("R64", "R65", "R67"),
    ),
    "festgestellt": Text(
        "Die Leistungsabteilung hat die Minderung festgestellt; der Bescheid nennt Tatsachen, Rechtsstand, "
        "Anhörung und Härteprüfung.",
        ("R65", "R67"),
    ),
    "abgesehen": Text("Von der Minderung wurde abgesehen (wichtiger Grund oder Härte).", ("R65", "R67")),
    "verfristet": Text(
        "Sechs Monate nach dem Ereignis ist keine Entscheidung mehr möglich; keine Minderung.", ("R64",)
    ),
    "leistungen_entzogen": Text(
        "Die Person gilt als nicht erreichbar: die Leistungen entfallen bis zur persönlichen Meldung (im ersten "
        "Monat gehen die Kosten der Unterkunft an die Vermieterin oder den Vermieter).",
        ("R66", "R67"),
    ),
    "gemeldet": Text("Die Person hat sich persönlich gemeldet: der Entzug endet sofort.", ("R66",)),
}

TRIGGERS = {
    "stellungnahme_eingegangen": Text(
        "Die Stellungnahme ist eingegangen; das System berechnet den Vorschlag und legt die Entscheidung vor.",
        ("R64", "R65"),
    ),
    "anhoerungsfrist_abgelaufen": Text(
        "Zeitgeber: Die Antwortfrist ist ohne Stellungnahme abgelaufen; das System berechnet den Vorschlag. "
        "Ein Zeitgeber entscheidet nie.",
        ("R64", "R67"),
    ),
    "minderung_festgestellt": Text(
        "Die Leistungsabteilung stellt Höhe und Zeitraum fest und hält die Härteprüfung fest; nie über der "
        "Obergrenze, nach altem Recht nicht während einer Schlichtung.",
        ("R65", "R55", "R67"),
    ),
    "von_minderung_abgesehen": Text("Die Leistungsabteilung sieht von der Minderung ab.", ("R65", "R67")),
    "frist_fuer_feststellung_abgelaufen": Text(
        "Zeitgeber: Sechs Monate nach dem Ereignis ohne Entscheidung; der Fall endet ohne Minderung.", ("R64",)
    ),
    "persoenlich_gemeldet": Text(
        "Die Person hat sich persönlich gemeldet (jede Fachkraft mit Kontakt erfasst das): Ende sofort, die "
        "Versäumnisse in Folge zählen wieder ab null.",
        ("R66",),
    ),
}
