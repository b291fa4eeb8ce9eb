"""What the states and triggers of rechtskreiswechsel mean, in German: for the training and case pages."""

from statemachines.spec import Text

STATES = {
    "vorgemerkt": Text(
        "Das Arbeitslosengeld I der Person endet in einigen Monaten. Der Fall wartet, bis die Einladung zur "
        "Infoveranstaltung fällig ist: so früh, dass die Veranstaltung etwa drei Monate vor dem Ende liegt.",
        ("R30",),
    ),
    "zur_infoveranstaltung_eingeladen": Text(
        "Die Person ist zu einer Infoveranstaltung mit freiem Platz an ihrem Standort eingeladen. Nach der "
        "Veranstaltung wird erfasst, ob sie da war.",
        ("R30", "R31", "R33"),
    ),
    "infoveranstaltung_besucht": Text(
        "Die Person war bei der Infoveranstaltung. Binnen vier Wochen nach der Veranstaltung muss die "
        "Einzelberatung stattfinden, sonst wird der Fall überfällig.",
        ("R32",),
    ),
    "beratung_terminiert": Text(
        "Ein Termin für die Einzelberatung ist vereinbart. Die Frist von vier Wochen nach der "
        "Infoveranstaltung läuft weiter: Sie ist erst mit der durchgeführten Beratung gewahrt.",
        ("R32",),
    ),
    "beraten": Text(
        "Die Einzelberatung hat stattgefunden. Der Fall wartet, bis der Wechsel vollzogen ist oder feststeht, "
        "dass keiner nötig ist.",
        ("R32", "R34"),
    ),
    "klaerung_team": Text(
        "Die Teamleitung klärt den Fall: Es gab keinen freien Platz in einer Infoveranstaltung, oder die "
        "Person ist zu oft nicht erschienen.",
        ("R31", "R33"),
    ),
    "an_jobcenter_uebergeben": Text(
        "Der Wechsel ist vollzogen: Agentur und Jobcenter haben die Unterlagen ausgetauscht, und ein "
        "Neuantrag mit den ALG-I-Daten ist eröffnet.",
        ("R34",),
    ),
    "kein_wechsel": Text(
        "Es kommt nicht zum Wechsel, etwa weil die Person Arbeit gefunden hat oder keinen Anspruch auf "
        "Leistungen nach dem SGB II hat.",
    ),
}

TRIGGERS = {
    "einladen": Text(
        "Die Person wird zur nächsten Infoveranstaltung mit freiem Platz an ihrem Standort eingeladen: durch "
        "den Zeitgeber vor dem Ende des ALG I oder durch die Teamleitung aus der Klärung.",
        ("R30", "R31"),
    ),
    "teilgenommen": Text(
        "Die Person war bei der Infoveranstaltung; die Frist von vier Wochen für die Einzelberatung beginnt.",
        ("R32",),
    ),
    "nicht_erschienen": Text(
        "Die Person ist nicht erschienen. Sie wird zur nächsten Veranstaltung eingeladen; ab der Schwelle "
        "klärt die Teamleitung den Fall.",
        ("R33",),
    ),
    "veranstaltung_abgesagt": Text(
        "Die Veranstaltung fällt aus; die Person erhält eine Absage und einen Platz in der nächsten.",
        ("R31",),
    ),
    "beratung_vereinbart": Text(
        "Ein Termin für die Einzelberatung ist vereinbart; die Person erhält eine Einladung.",
        ("R32",),
    ),
    "beratung_durchgefuehrt": Text(
        "Die Einzelberatung hat stattgefunden.",
        ("R32",),
    ),
    "wechsel_vollzogen": Text(
        "Der Wechsel in das SGB II ist vollzogen: Die ausgetauschten Unterlagen werden festgehalten, und ein "
        "Neuantrag mit den ALG-I-Daten wird eröffnet.",
        ("R34",),
    ),
    "kein_wechsel_erforderlich": Text(
        "Ein Wechsel ist nicht nötig, etwa weil die Person Arbeit gefunden hat.",
    ),
    "teilnahme_offen": Text(
        "Zeitgeber: Die Veranstaltung ist vorbei, aber die Teilnahme ist nicht erfasst; die Teamleitung "
        "bekommt die Aufgabe, sie zu erfassen.",
        ("R33",),
    ),
    "beratungsfrist_versaeumt": Text(
        "Zeitgeber: Vier Wochen nach der Veranstaltung hat keine Einzelberatung stattgefunden. Der Fall wird "
        "überfällig, die Teamleitung bekommt eine Aufgabe; der Zustand bleibt.",
        ("R32",),
    ),
}
