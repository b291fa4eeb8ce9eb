"""R60: deadlines, thresholds, intervals and the availability of steps are policy.

One settings object holds them, with the seed values of the Fachkonzept as
defaults. It travels into every workflow as input, so a running case keeps the
policy it was started with, also across continue-as-new (the input carries it over)
and into the cases it opens. The API stores each case's policy (`policies`) and
lists allowed triggers with it, not with today's settings.
"""

from datetime import time, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator


class InfoStandort(BaseModel):
    """R31: one location and its calendar rule (e.g. 1st and 3rd Tuesday, 09:30 local time)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=60)
    adresse: str = Field(min_length=1, max_length=200)
    raum: str = Field(min_length=1, max_length=100)
    wochentag: int = Field(ge=0, le=6, description="0 = Montag")
    wochen: tuple[int, ...] = Field((1, 3), description="die n-ten Wochentage im Monat (1–4)")
    beginn: time = Field(time(9, 30), description="Ortszeit Europe/Berlin")
    dauer_minuten: int = Field(90, ge=15, le=480)
    kapazitaet: int = Field(20, ge=1)


class InfoKalender(BaseModel):
    """R31: where and when information events take place; generated month by month."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    standorte: tuple[InfoStandort, ...] = (
        InfoStandort(
            name="Gevelsberg",
            adresse="Jobcenter, Standort Gevelsberg",
            raum="Schulungsraum 1",
            wochentag=1,
            wochen=(1, 3),
        ),
        InfoStandort(
            name="Witten",
            adresse="Jobcenter, Standort Witten",
            raum="Schulungsraum 2",
            wochentag=3,
            wochen=(2, 4),
            beginn=time(10, 0),
        ),
    )
    monate_voraus: int = Field(6, ge=1, le=24, description="so weit im Voraus wird der Kalender angelegt")
    mindestvorlauf: timedelta = Field(
        timedelta(days=7), ge=timedelta(0), description="Einladung so lange vor der Veranstaltung"
    )

    def standort(self, name: str) -> InfoStandort | None:
        return next((s for s in self.standorte if s.name == name), None)


class MinderungsRegeln(BaseModel):
    """R64–R66: what one legal regime sets for Meldeversäumnisse, Pflichtverletzungen and § 7b.

    Every figure is policy (R60): the values for grundsicherung_2026 are the reported ones
    (BT-Drs. 21/3541 as summarised publicly) and must be checked against the published text.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    meldeversaeumnis_prozent: int = Field(10, ge=0, le=100, description="R64: Minderung je Meldeversäumnis")
    meldeversaeumnis_monate: int = Field(1, ge=1, le=12, description="R64")
    meldeversaeumnis_ab: int = Field(
        1, ge=1, description="R64: ab dem wievielten Versäumnis in Folge eine Minderung vorgeschlagen wird"
    )
    # R65: (Prozent, Monate) je Stufe; eine Pflichtverletzung innerhalb des Zeitraums nach einer
    # früheren geht eine Stufe höher, die letzte Stufe bleibt.
    pflichtverletzung_stufen: tuple[tuple[int, int], ...] = Field(((10, 1), (20, 2), (30, 3)), min_length=1)
    wiederholung_innerhalb: timedelta = Field(timedelta(days=365), description="R65: „innerhalb eines Jahres“")
    nicht_erreichbar_ab: int = Field(
        0, ge=0, description="R66: so viele Versäumnisse in Folge machen nicht erreichbar (0: gilt nicht)"
    )
    kdu_an_vermieter_monate: int = Field(
        1, ge=0, description="R66: so lange gehen die Kosten der Unterkunft beim Entzug an die Vermieterin"
    )
    keine_minderung_in_schlichtung: bool = Field(True, description="R55")


MINDERUNG_DEFAULTS = {
    "buergergeld_2023": MinderungsRegeln(),
    # Each value as DOMAIN.md reports it from BT-Drs. 21/3541 (public summaries; the law's text was
    # not available): check against the published text and change here or per regime (R60).
    "grundsicherung_2026": MinderungsRegeln(
        meldeversaeumnis_prozent=30,  # R64: "30 % for one month from the second miss"
        meldeversaeumnis_monate=1,  # R64
        meldeversaeumnis_ab=2,  # R64: the first miss proposes none (an assumption from "from the second")
        pflichtverletzung_stufen=((30, 3),),  # R65: a flat 30 % for three months, no steps
        nicht_erreichbar_ab=3,  # R66: three consecutive misses (§ 7b as amended)
        kdu_an_vermieter_monate=1,  # R66: first month housing costs to the landlord, then none
        keine_minderung_in_schlichtung=False,  # R62: there is no Schlichtung any more
    ),
}


# R18: working days are not counted; a task's handling time runs in calendar days from its opening.
BEARBEITUNGSZEIT_TAGE: dict[str, int] = {
    "antrag_uebergeben": 2,  # R9: the EGS hands a new application to Clearing
    "identitaet_pruefen": 14,  # R10: until the online applicant comes in person
    "clearing_durchfuehren": 7,  # R2/R5: in line with clearing_kontakt_nach
    "aktive_kontaktaufnahme": 3,
    "leistungsentscheidung": 14,  # R11/R12: the Bewilligung releases the handover
    "gruppencoaching_begleiten": 28,
    "fallubernahme": 5,  # R13
    "uebergabe_vereinbaren": 7,  # R24
    "probezeit_entscheidung": 3,
    "potenzialanalyse": 14,  # R40
    "kp_erarbeiten": 28,
    "kp_ueberpruefen": 14,  # R42: after the review fell due
    "kp_ueberpruefung_ueberfaellig": 7,  # R42: the Teamleitung, once the review took too long
    "absprache_klaeren": 7,  # R46: the citizen reported an agreement cannot be kept
    "kp_neuer_anlauf": 14,  # R45: without a plan
    "schlichtungsperson_bestellen": 5,  # R52, well within the four weeks of R54
    "schlichtungsgespraech_terminieren": 5,
    "schlichtung_ergebnis": 7,  # R53/R56: the IFK after the end of the Schlichtung
    "beratung_vereinbaren": 7,
    "wechsel_vollziehen": 14,
    "entzug_nachhalten": 7,  # R66: the landlord's first month of housing costs
}


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Neuantrag and Clearing
    kontaktversuche_schwelle: int = Field(
        3, ge=2, description="R11: gescheiterte Kontaktversuche, ab denen sich jemand dem Clearing entzieht"
    )
    clearing_kontakt_nach: timedelta = Field(
        timedelta(days=7), description="R5: ohne Clearingtermin so lange, dann aktive Kontaktaufnahme"
    )
    wiedervorlage_intervall: timedelta = Field(
        timedelta(weeks=4), description="R7: Abstand der Wiedervorlagen bei eigenem Plan"
    )
    alg1_einladung_nach_ende: timedelta = Field(
        timedelta(0),
        ge=timedelta(0),
        le=timedelta(days=7),
        description="R8: Einladung so lange nach dem Ende des ALG-I-Bezugs (höchstens eine Woche)",
    )
    alg1_wiedervorlage_intervall: timedelta | None = Field(
        timedelta(weeks=4),
        gt=timedelta(0),
        description="R8: Wiedervorlage so oft, solange ALG I gezahlt wird (None: keine)",
    )
    alg1_clearingtermin: bool = Field(
        True,
        description="R8: zum Ende des ALG I wird ein Clearingtermin spätestens eine Woche danach vergeben "
        "(sonst nur eine Einladung ohne Termin)",
    )
    kontaktversuche_seit_kontakt: bool = Field(
        True, description="R11: gescheiterte Kontaktversuche zählen erst ab dem letzten vereinbarten Termin"
    )

    # Group coaching
    gc_sitzungen_pro_woche: int = Field(3, ge=1, description="R20")
    gc_sitzung_dauer: timedelta = Field(timedelta(hours=3), description="R20")
    gc_min_teilnehmende: int = Field(5, ge=1, description="R20/R21")
    gc_probezeit: timedelta = Field(timedelta(weeks=2), description="R24")
    gc_kapazitaet: int = Field(12, ge=1, description="R20: Plätze je Gruppensitzung")
    gc_entscheidung_vorlauf: timedelta = Field(
        timedelta(days=2), gt=timedelta(0), description="R21: so lange vor Beginn wird die Mindestzahl geprüft"
    )
    gc_wochentage: tuple[int, ...] = Field(
        (0, 2, 4, 1, 3),
        description="R20: Wochentage der Sitzungen (0 = Montag) in dieser Reihenfolge; "
        "es gelten die ersten gc_sitzungen_pro_woche",
    )
    gc_beginn: time = Field(time(9, 0), description="R20: Beginn der Sitzungen (Ortszeit Europe/Berlin)")
    gc_ausfaelle_schwelle: int = Field(
        3, ge=1, description="R21: so viele Ausfälle in einer Sitzung, dann Entscheidung über Einzel- oder Minigruppe"
    )

    # Rechtskreiswechsel
    rkw_vorlauf_monate: int = Field(3, ge=0, description="R30: Einladung so viele Monate vor dem Ende des ALG I")
    rkw_beratung_frist: timedelta = Field(timedelta(weeks=4), description="R32")
    rkw_max_versaeumnisse: int = Field(
        3, ge=1, description="R33: so viele versäumte Infoveranstaltungen, dann klärt das Team"
    )
    rkw_teilnahme_nachhalten: timedelta = Field(
        timedelta(days=1),
        ge=timedelta(0),
        description="R33: so lange nach der Infoveranstaltung ohne erfasste Teilnahme, dann Aufgabe",
    )
    rkw_kalender: InfoKalender = Field(
        default_factory=lambda: InfoKalender(), description="R31: Standorte und Kalenderregel"
    )
    rkw_einladung_vorlauf: timedelta = Field(
        timedelta(weeks=4),
        ge=timedelta(0),
        description="R30: die Einladung geht so lange vor dem Zieltermin der Infoveranstaltung "
        "(rkw_vorlauf_monate vor dem Ende des ALG I) hinaus",
    )
    rkw_veranstaltung_fenster: timedelta = Field(
        timedelta(days=14),
        ge=timedelta(0),
        description="R30: die Infoveranstaltung liegt frühestens so lange vor dem Zieltermin",
    )
    rkw_frist_ab_veranstaltung: bool = Field(
        True,
        description="R32: die Beratungsfrist läuft ab der Infoveranstaltung und bis zur durchgeführten "
        "Beratung (sonst ab der erfassten Teilnahme bis zur Terminvereinbarung)",
    )
    rkw_teilnahme_vor_beginn: timedelta | None = Field(
        timedelta(0),
        ge=timedelta(0),
        description="R32: die Teilnahme ist frühestens so lange vor Beginn der Infoveranstaltung erfassbar "
        "(None: jederzeit)",
    )

    # Kooperationsplan and Schlichtung
    kp_ueberpruefung_monate: int = Field(6, ge=1, description="R42")
    kp_ueberpruefung_frist: timedelta | None = Field(
        timedelta(weeks=4),
        gt=timedelta(0),
        description="R42: so lange darf die gemeinsame Überprüfung dauern, dann ist der Fall überfällig und "
        "die Teamleitung erhält eine Aufgabe (None: keine eigene Frist)",
    )
    kp_gemeldete_absprache_ueberpruefen: bool = Field(
        True,
        description="R46, R44: ist eine gemeldete nicht einhaltbare Absprache noch nicht in einem fortgeschriebenen "
        "Plan geklärt, führt die erbrachte Mitwirkung nach einer Aufforderung zurück in die Überprüfung, nicht "
        "in den aktiven Plan",
    )
    schlichtung_verfuegbar: bool = Field(True, description="R50; die Reform 2026 soll sie streichen")
    schlichtung_frist: timedelta = Field(timedelta(weeks=4), description="R54")
    mitwirkung_frist: timedelta = Field(
        timedelta(weeks=2),
        gt=timedelta(0),
        description="R43: Frist der Aufforderung zur Mitwirkung, ohne eigene Angabe",
    )

    # Inbox (R18): handling time of a task whose work has no appointment or deadline of its own
    bearbeitungszeit_tage: dict[str, int] = Field(
        default_factory=lambda: dict(BEARBEITUNGSZEIT_TAGE),
        description="R18: Bearbeitungszeit je Aufgabenart in Kalendertagen ab Anlage der Aufgabe",
    )
    bearbeitungszeit_standard_tage: int = Field(
        5, ge=0, description="R18: Bearbeitungszeit einer Aufgabenart, die bearbeitungszeit_tage nicht nennt"
    )

    # Meldetermine and Minderungen (R64–R67), the regime-specific values by regime name
    meldetermin_nachfrist: timedelta = Field(
        timedelta(hours=2), ge=timedelta(0), description="R64: so lange nach dem Termin gilt er als verstrichen"
    )
    meldetermin_klaeren_in: timedelta = Field(
        timedelta(days=3), ge=timedelta(0), description="R64: Aufgabe „Versäumnis klären“ fällig nach"
    )
    anhoerung_frist: timedelta = Field(timedelta(weeks=2), gt=timedelta(0), description="R64/R65: Antwortfrist")
    minderung_feststellung_monate: int = Field(6, ge=1, description="R64 (§ 31b): Entscheidung bis dahin")
    minderung_obergrenze_prozent: int = Field(
        30, ge=0, le=100, description="R65: höchstens so viel Prozent des Regelbedarfs insgesamt (BVerfG)"
    )
    minderung_regeln: dict[str, MinderungsRegeln] = Field(
        default_factory=lambda: dict(MINDERUNG_DEFAULTS), description="R64–R66: je Rechtsstand"
    )

    def __hash__(self) -> int:
        # bearbeitungszeit_tage and minderung_regeln are dicts: hash the values as JSON (caches key on it)
        return hash(self.model_dump_json())

    def bearbeitungszeit(self, kind: str) -> timedelta:
        return timedelta(days=self.bearbeitungszeit_tage.get(kind, self.bearbeitungszeit_standard_tage))

    @model_validator(mode="after")
    def _enough_weekdays(self) -> "Policy":
        days = self.gc_wochentage
        if len(set(days)) != len(days) or not all(0 <= d <= 6 for d in days):
            raise ValueError("gc_wochentage: verschiedene Wochentage 0–6")
        if len(days) < self.gc_sitzungen_pro_woche:
            raise ValueError("gc_wochentage nennt weniger Tage als gc_sitzungen_pro_woche")
        return self
