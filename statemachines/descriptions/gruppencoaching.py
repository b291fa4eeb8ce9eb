"""What the states and triggers of gruppencoaching mean, in German: for the training and case pages."""

from statemachines.spec import Text

STATES = {
    "angeboten": Text(
        "Die IFK hat einer Person aus dem Bestand das Gruppencoaching angeboten und erfasst, ob sie teilnehmen kann.",
        ("R24", "R26"),
    ),
    "uebergabe_terminiert": Text(
        "Das gemeinsame Übergabegespräch von IFK, Jobcoach und Person ist terminiert.",
        ("R24",),
    ),
    "probezeit": Text(
        "Zwei Wochen Probezeit bei den Jobcoaches; in dieser Zeit liegt der Fall bei ihnen.",
        ("R24",),
    ),
    "probezeit_beendet": Text(
        "Die Probezeit ist vorbei; die Jobcoaches entscheiden, ob die Person bleibt oder an die IFK zurückgeht.",
        ("R24",),
    ),
    "teilnahme": Text(
        "Die Person nimmt am Gruppencoaching teil und bucht ihre Gruppentermine selbst.",
        ("R20", "R22"),
    ),
    "rueckgabe_ifk": Text(
        "Der Fall ist mit der Fallübergabe an die IFK zurückgegeben.",
        ("R13", "R24"),
    ),
    "abgeschlossen": Text(
        "Das Gruppencoaching ist abgeschlossen, mit Arbeitsaufnahme oder Rückgabe an die IFK.",
        ("R13",),
    ),
    "nicht_angenommen": Text(
        "Die Person hat das Angebot nicht angenommen; Voraussetzung ist allein ihre Bereitschaft.",
        ("R23",),
    ),
}

TRIGGERS = {
    "voraussetzungen_erfasst": Text(
        "Die IFK erfasst, ob die Person teilnehmen kann: bei jungen Menschen Schulpflicht und "
        "Ausbildungswunsch, außerdem Jobturbo.",
        ("R25", "R26"),
    ),
    "uebergabe_vereinbart": Text(
        "Das gemeinsame Übergabegespräch ist vereinbart; junge Menschen nur nach der Schulpflicht und nicht "
        "auf der Suche nach einer ersten Ausbildung.",
        ("R24", "R26"),
    ),
    "probezeit_begonnen": Text(
        "Die zweiwöchige Probezeit beginnt; der Fall geht mit der Fallübergabe an die Jobcoaches.",
        ("R13", "R24"),
    ),
    "teilnahme_begonnen": Text(
        "Die Person nimmt ohne Probezeit teil; der Fall geht mit der Fallübergabe an die Jobcoaches.",
        ("R13", "R24"),
    ),
    "probezeit_abgelaufen": Text(
        "Zeitgeber: Die Probezeit ist vorbei; die Jobcoaches bekommen die Aufgabe, über Verbleib oder "
        "Rückgabe zu entscheiden.",
        ("R24",),
    ),
    "verbleib_vereinbart": Text(
        "Die Person bleibt im Gruppencoaching.",
        ("R24",),
    ),
    "an_ifk_zurueckgegeben": Text(
        "Der Fall geht mit der Fallübergabe an die IFK zurück.",
        ("R13", "R24"),
    ),
    "gruppencoaching_beendet": Text(
        "Das Gruppencoaching ist zu Ende; der Fall geht mit der Fallübergabe an die IFK zurück.",
        ("R13",),
    ),
    "arbeit_aufgenommen": Text(
        "Die Person hat Arbeit oder eine Ausbildung aufgenommen.",
    ),
    "angebot_abgelehnt": Text(
        "Die Person nimmt das Angebot nicht an; Voraussetzung wäre allein ihre Bereitschaft.",
        ("R23",),
    ),
    "erstgespraech_gefuehrt": Text(
        "Die Jobcoaches dokumentieren ihr erstes Gespräch mit der Person aus dem Bestand, meist das "
        "Übergabegespräch. Der Zustand bleibt.",
        ("R13", "R15", "R24"),
    ),
}
