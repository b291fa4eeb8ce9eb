"""What the states and triggers of neuantrag mean, in German: for the training and case pages."""

from statemachines.spec import Text

STATES = {
    "antrag_eingegangen": Text(
        "Der Antrag ist in der Eingangszone eingegangen. Wer ihn nicht persönlich gestellt hat, muss zuerst "
        "zur Identitätsprüfung erscheinen; dann übergibt die EGS an das JA-Clearing.",
        ("R1", "R9", "R10"),
    ),
    "clearing_offen": Text(
        "Der Fall liegt beim JA-Clearing, ein Clearinggespräch hat noch nicht stattgefunden. Bleibt er zu "
        "lange ohne Termin, nehmen die Jobcoaches aktiv Kontakt auf.",
        ("R1", "R2", "R5"),
    ),
    "clearing_terminiert": Text(
        "Ein Clearinggespräch ist vereinbart. Darin wird der weitere Weg geklärt und das Gruppencoaching als "
        "Sofortangebot empfohlen.",
        ("R2", "R3"),
    ),
    "clearing_entzogen": Text(
        "Die Person hat sich dem Clearing entzogen: genug Kontaktversuche sind gescheitert, mindestens einer "
        "schriftlich. Sie geht an eine IFK, sobald die Leistung bewilligt ist.",
        ("R11", "R12"),
    ),
    "gruppencoaching": Text(
        "Die Person nimmt am Gruppencoaching der Jobakademie teil und bucht ihre Gruppentermine selbst.",
        ("R3", "R22", "R23"),
    ),
    "clearing_betreuung": Text(
        "Die Person hat das Gruppencoaching abgelehnt und bleibt bis zur Bewilligung beim JA-Clearing; danach "
        "geht der Fall mit der Fallübergabe an eine IFK.",
        ("R6", "R12", "R13"),
    ),
    "reha_betreuung": Text(
        "Anerkannte Rehabilitanden bleiben bis zur Bewilligung beim JA-Clearing und gehen danach an die IFK- Reha.",
        ("R4", "R12"),
    ),
    "eigener_plan_wiedervorlage": Text(
        "Die Person verfolgt einen eigenen, konkreten Plan für Arbeit oder Ausbildung und will keine "
        "Unterstützung. Das Clearing fragt in regelmäßigen Wiedervorlagen nach dem Stand.",
        ("R7",),
    ),
    "alg1_wiedervorlage": Text(
        "Die Person bezieht noch Arbeitslosengeld I. Das Clearing behält sie auf Wiedervorlage und lädt sie "
        "spätestens eine Woche nach dem Ende des ALG I wieder ein.",
        ("R8",),
    ),
    "an_ifk_uebergeben": Text(
        "Nach der Bewilligung ist der Fall mit der Fallübergabe an eine Integrationsfachkraft (IFK) übergeben.",
        ("R6", "R11", "R12", "R13"),
    ),
    "an_ifk_reha_uebergeben": Text(
        "Nach der Bewilligung ist der Fall eines Rehabilitanden mit der Fallübergabe an die IFK-Reha übergeben.",
        ("R4", "R12", "R13"),
    ),
    "integriert": Text(
        "Die Person hat Arbeit oder eine Ausbildung aufgenommen; der Neuantrag ist damit abgeschlossen.",
    ),
    "beendet": Text(
        "Der Antrag wurde zurückgenommen oder abgelehnt; der Fall ist abgeschlossen.",
    ),
}

TRIGGERS = {
    "identitaet_bestaetigt": Text(
        "Die EGS hat die Identität einer Person geprüft, die den Antrag nicht persönlich gestellt hat.",
        ("R10",),
    ),
    "an_clearing_uebergeben": Text(
        "Die EGS übergibt den Fall an das JA-Clearing: warm (mit der Person), als verlinkte Aufgabe oder mit "
        "einem Terminslot.",
        ("R9", "R10"),
    ),
    "clearingtermin_vereinbart": Text(
        "Ein Termin für das Clearinggespräch ist vereinbart oder verlegt; die Person erhält eine Einladung.",
        ("R2", "R27"),
    ),
    "kontaktversuch_gescheitert": Text(
        "Ein telefonischer oder schriftlicher Kontaktversuch ist gescheitert. Ab der Schwelle, mit mindestens "
        "einem schriftlichen Versuch, gilt die Person als dem Clearing entzogen.",
        ("R5", "R11"),
    ),
    "gruppencoaching_zugesagt": Text(
        "Die Person nimmt das Gruppencoaching als Sofortangebot an.",
        ("R3", "R23"),
    ),
    "gruppencoaching_abgelehnt": Text(
        "Die Person lehnt das Gruppencoaching ab; sie bleibt beim Clearing oder geht, wenn die Leistung "
        "bewilligt ist, an eine IFK.",
        ("R6", "R7"),
    ),
    "gruppencoaching_beendet": Text(
        "Das Gruppencoaching ist zu Ende: nach der Bewilligung geht der Fall an eine IFK, vorher bleibt er "
        "beim Clearing.",
        ("R6", "R13"),
    ),
    "als_rehabilitand_erfasst": Text(
        "Die Person ist als Rehabilitand anerkannt; sie bleibt bis zur Bewilligung beim Clearing und geht "
        "dann an die IFK-Reha.",
        ("R4",),
    ),
    "eigenen_plan_erfasst": Text(
        "Die Person hat einen konkreten eigenen Plan für Arbeit oder Ausbildung und will keine Unterstützung.",
        ("R7",),
    ),
    "alg1_bezug_erfasst": Text(
        "Die Person bezieht noch Arbeitslosengeld I; das Ende des Bezugs wird festgehalten.",
        ("R8",),
    ),
    "leistung_bewilligt": Text(
        "Die Leistungsabteilung hat die Leistung bewilligt. Erst jetzt darf ein Fall an eine IFK oder die "
        "IFK-Reha gehen.",
        ("R12", "R4", "R6", "R11"),
    ),
    "erneut_eingeladen": Text(
        "Die Person wird erneut zum Clearing eingeladen und bekommt das Gruppencoaching angeboten; "
        "gescheiterte Kontaktversuche zählen von neuem.",
        ("R7", "R11"),
    ),
    "arbeit_aufgenommen": Text(
        "Die Person hat Arbeit oder eine Ausbildung aufgenommen.",
    ),
    "antrag_zurueckgenommen": Text(
        "Die Person hat ihren Antrag zurückgenommen.",
    ),
    "antrag_abgelehnt": Text(
        "Die Leistungsabteilung hat den Antrag abgelehnt; nach einer Bewilligung ist das nicht mehr möglich.",
    ),
    "kontaktaufnahme_faellig": Text(
        "Zeitgeber: Der Fall ist zu lange ohne Clearingtermin; die Jobcoaches bekommen die Aufgabe, aktiv "
        "Kontakt aufzunehmen.",
        ("R5",),
    ),
    "wiedervorlage_faellig": Text(
        "Zeitgeber: Die Wiedervorlage ist fällig; die Jobcoaches fragen nach dem Stand des eigenen Plans.",
        ("R7",),
    ),
    "alg1_ende_erreicht": Text(
        "Zeitgeber: Das Arbeitslosengeld I endet; die Person wird zum Clearing eingeladen, nach einem "
        "Rechtskreiswechsel ohne Identitätsprüfung erst zur EGS.",
        ("R8", "R34"),
    ),
    "jobturbo_erfasst": Text(
        "Die Person ist für den Jobturbo vorgesehen (Geflüchtete nach Integrations- und Sprachkurs); ihre "
        "Aufgaben bei den Jobcoaches kommen innerhalb ihrer Priorität zuerst.",
        ("R25", "R27"),
    ),
    "gruppencoaching_angeboten": Text(
        "Die Jobcoaches haben der Person das Gruppencoaching als Sofortangebot empfohlen; festgehalten wird, "
        "wann. Der Zustand bleibt, bis die Person zusagt oder ablehnt.",
        ("R3",),
    ),
}
