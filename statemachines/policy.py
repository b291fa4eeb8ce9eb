"""R60: deadlines, thresholds, intervals and the availability of steps are policy.

One settings object holds them, with the seed values of the Fachkonzept as
defaults. It travels into every workflow as input, so a running case keeps the
policy it was started with until it continues as new.
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
        InfoStandort(name="Gevelsberg", adresse="Jobcenter, Standort Gevelsberg", raum="Schulungsraum 1", wochentag=1, wochen=(1, 3)),
        InfoStandort(name="Witten", adresse="Jobcenter, Standort Witten", raum="Schulungsraum 2", wochentag=3, wochen=(2, 4), beginn=time(10, 0)),
    )
    monate_voraus: int = Field(6, ge=1, le=24, description="so weit im Voraus wird der Kalender angelegt")
    mindestvorlauf: timedelta = Field(timedelta(days=7), ge=timedelta(0), description="Einladung so lange vor der Veranstaltung")

    def standort(self, name: str) -> InfoStandort | None:
        return next((s for s in self.standorte if s.name == name), None)


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Neuantrag and Clearing
    kontaktversuche_schwelle: int = Field(3, ge=2, description="R11: gescheiterte Kontaktversuche, ab denen sich jemand dem Clearing entzieht")
    clearing_kontakt_nach: timedelta = Field(timedelta(days=7), description="R5: ohne Clearingtermin so lange, dann aktive Kontaktaufnahme")
    wiedervorlage_intervall: timedelta = Field(timedelta(weeks=4), description="R7: Abstand der Wiedervorlagen bei eigenem Plan")
    alg1_einladung_nach_ende: timedelta = Field(
        timedelta(0), ge=timedelta(0), le=timedelta(days=7),
        description="R8: Einladung so lange nach dem Ende des ALG-I-Bezugs (höchstens eine Woche)",
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
        (0, 2, 4, 1, 3), description="R20: Wochentage der Sitzungen (0 = Montag) in dieser Reihenfolge; es gelten die ersten gc_sitzungen_pro_woche"
    )
    gc_beginn: time = Field(time(9, 0), description="R20: Beginn der Sitzungen (Ortszeit Europe/Berlin)")

    # Rechtskreiswechsel
    rkw_vorlauf_monate: int = Field(3, ge=0, description="R30: Einladung so viele Monate vor dem Ende des ALG I")
    rkw_beratung_frist: timedelta = Field(timedelta(weeks=4), description="R32")
    rkw_max_versaeumnisse: int = Field(3, ge=1, description="R33: so viele versäumte Infoveranstaltungen, dann klärt das Team")
    rkw_teilnahme_nachhalten: timedelta = Field(
        timedelta(days=1), ge=timedelta(0), description="R33: so lange nach der Infoveranstaltung ohne erfasste Teilnahme, dann Aufgabe"
    )
    rkw_kalender: InfoKalender = Field(default_factory=lambda: InfoKalender(), description="R31: Standorte und Kalenderregel")

    # Kooperationsplan and Schlichtung
    kp_ueberpruefung_monate: int = Field(6, ge=1, description="R42")
    schlichtung_verfuegbar: bool = Field(True, description="R50; die Reform 2026 soll sie streichen")
    schlichtung_frist: timedelta = Field(timedelta(weeks=4), description="R54")

    @model_validator(mode="after")
    def _enough_weekdays(self) -> "Policy":
        days = self.gc_wochentage
        if len(set(days)) != len(days) or not all(0 <= d <= 6 for d in days):
            raise ValueError("gc_wochentage: verschiedene Wochentage 0–6")
        if len(days) < self.gc_sitzungen_pro_woche:
            raise ValueError("gc_wochentage nennt weniger Tage als gc_sitzungen_pro_woche")
        return self
