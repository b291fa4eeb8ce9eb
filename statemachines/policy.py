"""R60: deadlines, thresholds, intervals and the availability of steps are policy.

One settings object holds them, with the seed values of the Fachkonzept as
defaults. It travels into every workflow as input, so a running case keeps the
policy it was started with until it continues as new.
"""

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field


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

    # Rechtskreiswechsel
    rkw_vorlauf_monate: int = Field(3, ge=0, description="R30: Einladung so viele Monate vor dem Ende des ALG I")
    rkw_beratung_frist: timedelta = Field(timedelta(weeks=4), description="R32")

    # Kooperationsplan and Schlichtung
    kp_ueberpruefung_monate: int = Field(6, ge=1, description="R42")
    schlichtung_verfuegbar: bool = Field(True, description="R50; die Reform 2026 soll sie streichen")
    schlichtung_frist: timedelta = Field(timedelta(weeks=4), description="R54")
