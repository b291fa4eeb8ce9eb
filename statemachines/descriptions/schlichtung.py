"""What the states and triggers of schlichtung mean, in German: for the training and case pages."""

from statemachines.spec import Text

STATES = {
    "beantragt": Text(
        "Die Schlichtung über den Kooperationsplan ist beantragt. Die Frist von vier Wochen läuft ab dem "
        "Antrag und lässt sich nicht anhalten.",
        ("R51", "R54"),
    ),
    "schlichtungsperson_bestellt": Text(
        "Eine neutrale Schlichtungsperson ist bestellt, die vorher nicht mit dem Fall befasst war und keine "
        "Weisungen erhält.",
        ("R52",),
    ),
    "gespraech_terminiert": Text(
        "Das gemeinsame Schlichtungsgespräch ist terminiert; gesucht wird eine Lösung, die beide Seiten tragen.",
        ("R53",),
    ),
    "einigung": Text(
        "Beide Seiten haben sich geeinigt; der Vorschlag wird die neue Fassung des Kooperationsplans.",
        ("R53",),
    ),
    "keine_einigung": Text(
        "Die Schlichtung endet ohne Einigung. Gibt es weiter keinen Plan, ergeht jede Aufforderung mit "
        "Rechtsfolgenbelehrung.",
        ("R56",),
    ),
    "frist_abgelaufen": Text(
        "Vier Wochen nach dem Antrag endete die Schlichtung von selbst, ohne Einigung.",
        ("R54",),
    ),
    "zurueckgenommen": Text(
        "Der Antrag auf Schlichtung wurde zurückgenommen.",
    ),
    "durch_rechtsaenderung_beendet": Text(
        "Die Neue Grundsicherung kennt keine Schlichtung mehr; nach der gewählten Übergangsregel endete diese "
        "mit dem Wechsel des Rechtsstands. Der Kooperationsplan geht ohne Plan weiter.",
        ("R62", "R56"),
    ),
}

TRIGGERS = {
    "schlichtungsperson_bestellt": Text(
        "Die Schlichtungsstelle bestellt eine Schlichtungsperson; wer mit dem Fall befasst war, wird abgelehnt.",
        ("R52",),
    ),
    "gespraech_terminiert": Text(
        "Ein Termin für das Schlichtungsgespräch ist vereinbart; die Person erhält eine Einladung.",
        ("R53",),
    ),
    "einigung": Text(
        "Beide Seiten tragen den Vorschlag mit; er wird als Entwurf des neuen Kooperationsplans gespeichert.",
        ("R53",),
    ),
    "keine_einigung": Text(
        "Die Schlichtung bleibt ohne Einigung. Ein festgehaltener Vorschlag bleibt beim Kooperationsplan "
        "gespeichert; das Jobcenter berücksichtigt ihn beim neuen Anlauf.",
        ("R56", "R53"),
    ),
    "vorschlag_unterbreitet": Text(
        "Die Schlichtungsperson hält ihren Vorschlag fest. Er wird gespeichert, auch wenn keine Einigung "
        "zustande kommt, damit das Jobcenter zeigen kann, dass es ihn berücksichtigt hat.",
        ("R53",),
    ),
    "frist_abgelaufen": Text(
        "Zeitgeber: Vier Wochen nach dem Antrag endet die Schlichtung von selbst.",
        ("R54",),
    ),
    "zurueckgenommen": Text(
        "Die Schlichtung wird zurückgenommen, etwa weil sich beide Seiten doch geeinigt haben.",
    ),
    "durch_rechtsaenderung_beendet": Text(
        "Betrieb: Beim Wechsel zur Neuen Grundsicherung wird die laufende Schlichtung beendet, wenn die "
        "Übergangsregel es so vorsieht (sonst läuft sie nach altem Recht zu Ende).",
        ("R62",),
    ),
}
