"""What the states and triggers of kooperationsplan mean, in German: for the training and case pages."""

from statemachines.spec import Text

STATES = {
    "potenzialanalyse": Text(
        "Die Integrationsfachkraft ermittelt mit der Person deren Stärken und Möglichkeiten; danach schreiben "
        "beide den Plan gemeinsam.",
        ("R40",),
    ),
    "in_erarbeitung": Text(
        "Ziel, Schritte der Person, Unterstützung des Jobcenters und weitere Beteiligte werden gemeinsam auf "
        "etwa einer Seite festgehalten.",
        ("R40", "R41"),
    ),
    "aktiv": Text(
        "Der Plan gilt. Solange die Zusammenarbeit funktioniert, gibt es keine Aufforderungen mit "
        "Rechtsfolgenbelehrung; spätestens nach sechs Monaten wird der Plan überprüft. Ist der Termin eines "
        "offenen Schritts da, kommt er zur Wiedervorlage.",
        ("R42", "R43", "R44", "R47"),
    ),
    "in_ueberpruefung": Text(
        "Der Plan wird gemeinsam überprüft: Welche Schritte wurden gegangen, welche nicht? Danach wird er "
        "fortgeschrieben. Die Überprüfung hat eine eigene Frist; der Plan gilt währenddessen weiter, eine "
        "Aufforderung zur Mitwirkung ist möglich.",
        ("R42", "R44", "R46", "R47"),
    ),
    "in_schlichtung": Text(
        "Über den Plan gibt es keine Einigung; eine neutrale Schlichtungsperson vermittelt höchstens vier "
        "Wochen lang. Währenddessen gibt es keine Leistungsminderung.",
        ("R50", "R54", "R55"),
    ),
    "ohne_plan": Text(
        "Es gilt kein Kooperationsplan; jede Aufforderung zur Mitwirkung ergeht mit Rechtsfolgenbelehrung.",
        ("R45", "R56"),
    ),
    "aufforderung_mit_rfb": Text(
        "Die Person wurde mit Rechtsfolgenbelehrung zur Mitwirkung aufgefordert. Ein bestehender Plan bleibt "
        "in Kraft; Ziel ist die Rückkehr zur Zusammenarbeit ohne Rechtsfolgenbelehrung.",
        ("R44", "R45"),
    ),
    "beendet": Text(
        "Der Leistungsbezug ist beendet; der Kooperationsplan wird nicht weitergeführt.",
    ),
    "pflichten_per_verwaltungsakt": Text(
        "Neue Grundsicherung: Ohne vereinbarten Plan oder weil Absprachen ohne wichtigen Grund nicht eingehalten "
        "wurden, legt das Jobcenter die Pflichten per Verwaltungsakt mit Rechtsfolgenbelehrung fest. Sie werden "
        "wie ein Plan überprüft; ein vereinbarter Plan löst sie ab. Wird eine dieser Pflichten ohne wichtigen "
        "Grund nicht erfüllt, folgt eine Anhörung zur Leistungsminderung.",
        ("R63", "R42", "R65"),
    ),
}

TRIGGERS = {
    "potenzialanalyse_abgeschlossen": Text(
        "Die Potenzialanalyse ist abgeschlossen; der Plan kann gemeinsam erarbeitet werden.",
        ("R40",),
    ),
    "plan_vereinbart": Text(
        "Der Plan ist gemeinsam vereinbart und wird als neue Fassung gespeichert; die Person erhält ihn ohne "
        "Unterschrift und ohne Rechtsfolgenbelehrung.",
        ("R40", "R41", "R42"),
    ),
    "keine_einigung": Text(
        "Es gibt keine Einigung über den Plan; der Fall ist ohne Plan.",
        ("R45", "R50"),
    ),
    "schlichtung_beantragt": Text(
        "Die Person, die Fachkraft oder beide beantragen eine Schlichtung; ein eigener Schlichtungsfall beginnt.",
        ("R50", "R51"),
    ),
    "schlichtung_beendet": Text(
        "Die Schlichtung meldet ihr Ende: Mit Einigung wird der Vorschlag der neue Plan, sonst ist der Fall ohne "
        "Plan; ein Vorschlag ohne Einigung bleibt gespeichert und wird beim neuen Anlauf berücksichtigt.",
        ("R53", "R56"),
    ),
    "ueberpruefung_faellig": Text(
        "Zeitgeber: Spätestens sechs Monate nach Vereinbarung oder Fortschreibung ist die gemeinsame "
        "Überprüfung fällig; die Fachkraft bekommt eine Aufgabe.",
        ("R42",),
    ),
    "fortgeschrieben": Text(
        "Der Plan ist gemeinsam fortgeschrieben und gilt als neue Fassung; die Frist bis zur nächsten "
        "Überprüfung beginnt neu.",
        ("R42",),
    ),
    "schritt_erfasst": Text(
        "Die Fachkraft hält fest, wie ein Schritt des Plans gelaufen ist: offen, erledigt, nicht erledigt oder "
        "entfallen. Der Zustand bleibt; die Überprüfung beginnt bei diesen Ständen.",
        ("R47", "R42"),
    ),
    "schritt_faellig": Text(
        "Zeitgeber: Der Termin eines offenen Schritts ist da; die Fachkraft bekommt eine Aufgabe zur "
        "Wiedervorlage, fällig an diesem Tag.",
        ("R47",),
    ),
    "mitwirkung_versaeumt": Text(
        "Die Person hat ohne wichtigen Grund nicht mitgewirkt; sie wird mit Rechtsfolgenbelehrung zur "
        "Mitwirkung aufgefordert, auch während einer Überprüfung (der Plan gilt weiter), nie während einer "
        "Schlichtung. Wirkt sie nach der Aufforderung wieder nicht "
        "mit, ist das eine Pflichtverletzung: ein Fall „Leistungsminderung“ mit Anhörung wird eröffnet.",
        ("R44", "R45", "R55", "R65"),
    ),
    "minderung_beendet": Text(
        "Das Minderungsverfahren meldet sein Ende (festgestellt, abgesehen, verfristet); der Plan bleibt, wie er ist.",
        ("R65", "R67"),
    ),
    "absprache_nicht_einhaltbar": Text(
        "Die Person meldet frühzeitig, dass sie eine Absprache oder einen Termin des Plans nicht einhalten kann. "
        "Bei gültigem Plan beginnt eine gemeinsame Überprüfung, um eine Lösung zu finden; läuft eine "
        "Aufforderung, prüft die Fachkraft die Meldung.",
        ("R46", "R42"),
    ),
    "ueberpruefung_ueberfaellig": Text(
        "Zeitgeber: Die gemeinsame Überprüfung ist nach Ablauf ihrer Frist noch nicht abgeschlossen; der Fall "
        "ist überfällig und die Teamleitung erhält eine Aufgabe.",
        ("R42", "R18"),
    ),
    "mitwirkung_erbracht": Text(
        "Die Person wirkt wieder mit; mit gültigem Plan geht die Zusammenarbeit ohne Rechtsfolgenbelehrung weiter.",
        ("R44",),
    ),
    "erarbeitung_aufgenommen": Text(
        "Ohne Plan wird ein neuer Anlauf genommen, doch noch gemeinsam einen Plan zu vereinbaren.",
        ("R40", "R45"),
    ),
    "fachkraft_beteiligt": Text(
        "Eine weitere Fachkraft wirkt an der Beratung mit; sie kann später nicht Schlichtungsperson werden.",
        ("R52",),
    ),
    "leistungsbezug_beendet": Text(
        "Der Leistungsbezug endet und mit ihm der Kooperationsplan.",
    ),
    "verwaltungsakt_erlassen": Text(
        "Neue Grundsicherung: Die Pflichten werden per Verwaltungsakt festgelegt; die Person erhält sie mit "
        "Rechtsfolgenbelehrung. Der Plan selbst trägt weiter keine.",
        ("R63",),
    ),
    "pflichten_verletzt": Text(
        "Neue Grundsicherung: Die Person hat eine per Verwaltungsakt festgelegte Pflicht ohne wichtigen Grund "
        "nicht erfüllt. Der Verwaltungsakt trug schon die Rechtsfolgenbelehrung: ein Fall „Leistungsminderung“ "
        "mit Anhörung wird sofort eröffnet; über die Minderung entscheidet die Leistungssachbearbeitung.",
        ("R63", "R65", "R67"),
    ),
    "potenzialanalyse_einladung_mit_rfb": Text(
        "Neue Grundsicherung: Die erste Einladung zur Potenzialanalyse darf eine Rechtsfolgenbelehrung tragen; "
        "unter dem Bürgergeld gibt es diesen Schritt nicht (R43).",
        ("R63", "R43"),
    ),
}
