"""What the states and triggers of meldetermin mean, in German: for the training and case pages."""

from statemachines.spec import Text

STATES = {
    "eingeladen": Text(
        "Die Person ist zu einem Termin eingeladen (Meldeaufforderung mit Datum, Ort und "
        "Rechtsfolgenbelehrung nach dem geltenden Rechtsstand). Nach dem Termin läuft eine kurze Nachfrist.",
        ("R64",),
    ),
    "wahrgenommen": Text(
        "Die Person ist zum Termin erschienen. Die Zahl der Versäumnisse in Folge beginnt wieder bei null.",
        ("R64", "R66"),
    ),
    "versaeumt": Text(
        "Der Termin ist ohne die Person verstrichen. Die Fachkraft klärt, ob ein wichtiger Grund vorlag.",
        ("R64",),
    ),
    "entschuldigt": Text("Ein wichtiger Grund ist anerkannt: keine Minderung.", ("R64",)),
    "minderung_eingeleitet": Text(
        "Ohne wichtigen Grund versäumt: ein Fall „Leistungsminderung“ mit Anhörung ist eröffnet; ab der "
        "eingestellten Zahl von Versäumnissen in Folge (Neue Grundsicherung) wegen Nichterreichbarkeit.",
        ("R64", "R66"),
    ),
    "abgesagt": Text("Der Termin wurde vom Jobcenter abgesagt; kein Versäumnis.", ("R64",)),
}

TRIGGERS = {
    "erschienen": Text("Die Person ist erschienen; das setzt die Zahl der Versäumnisse in Folge zurück.", ("R66",)),
    "termin_verstrichen": Text(
        "Zeitgeber: Nach dem Termin und der Nachfrist ist nichts erfasst; der Fall wartet auf Klärung.",
        ("R64",),
    ),
    "nicht_erschienen": Text("Die Person ist nicht erschienen (von Hand erfasst).", ("R64",)),
    "wichtiger_grund_anerkannt": Text("Die Fachkraft erkennt einen wichtigen Grund an.", ("R64",)),
    "kein_wichtiger_grund": Text(
        "Kein wichtiger Grund: das System zählt die Versäumnisse in Folge und eröffnet die Anhörung zur "
        "Minderung. Nach altem Recht nicht während einer laufenden Schlichtung.",
        ("R64", "R55", "R66"),
    ),
    "termin_abgesagt": Text("Das Jobcenter sagt den Termin ab; die Einladung gilt nicht mehr.", ("R64",)),
}
