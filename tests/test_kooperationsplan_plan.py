"""Without Temporal: the plan content model, R42 month arithmetic, the machine's refusals and
derived facts, the one-page plan document (R41) and which letters carry an RFB."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from pypdf import PdfReader

from notifications import TEMPLATES
from notifications.plan_pdf import PlanKopf, PlanZuLang, plan_pdf
from notifications.render import MINDERUNG_TEMPLATES, RFB_TEMPLATES
from statemachines.engine import CaseMachine, NotAllowed
from statemachines.kooperationsplan import KOOPERATIONSPLAN, add_months
from statemachines.plan_inhalt import PlanInhalt, aenderungen, inhalt_hash
from tests.kooperationsplan_support import PLAN, overlong_plan, plan

NOW = datetime(2026, 8, 31, 9, 0, tzinfo=UTC)
KOPF = PlanKopf(
    name="Erika Mustermann",
    fallnummer="3f2a9c01",
    version=1,
    gueltig_ab=NOW.date(),
    ueberpruefung_bis=add_months(NOW, 6).date(),
)
MACHINE = CaseMachine(KOOPERATIONSPLAN)
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "notifications" / "templates"
RFB_MARKERS = ("Rechtsfolgenbelehrung", "§ 31", "gemindert", "Minderung")
FORBIDDEN_ON_PLAN = ("Unterschrift", "unterschreib", "Rechtsfolge", "§", "Minderung", "gemindert", "Sanktion")


def _text(pdf: bytes) -> tuple[int, str, tuple[float, float]]:
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    return (
        len(reader.pages),
        " ".join(" ".join(p.extract_text().split()) for p in reader.pages),
        (float(page.mediabox.width), float(page.mediabox.height)),
    )


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2026, 1, 15, 9, tzinfo=UTC), 6, datetime(2026, 7, 15, 9, tzinfo=UTC)),
        (datetime(2026, 8, 31, 9, tzinfo=UTC), 6, datetime(2027, 2, 28, 9, tzinfo=UTC)),
        (datetime(2027, 8, 31, 9, tzinfo=UTC), 6, datetime(2028, 2, 29, 9, tzinfo=UTC)),
        (datetime(2026, 10, 31, 9, tzinfo=UTC), 3, datetime(2027, 1, 31, 9, tzinfo=UTC)),
    ],
)
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_refuse_plan_without_goal_or_steps():
    with pytest.raises(ValidationError):
        PlanInhalt.model_validate({"ziel": " ", "schritte": []})


def test_refuse_step_without_who_or_by_when():
    with pytest.raises(ValidationError):
        PlanInhalt.model_validate(plan(schritte=[{"was": "Bewerben", "wer": "elb"}]))


def test_hash_plan_content_stably():
    assert inhalt_hash(PlanInhalt.model_validate(PLAN)) == inhalt_hash(PlanInhalt.model_validate(dict(PLAN)))
    assert inhalt_hash(PlanInhalt.model_validate(PLAN)) != inhalt_hash(PlanInhalt.model_validate(plan("Anderes Ziel")))


def test_list_changes_between_versions():
    alt, neu = (
        PlanInhalt.model_validate(PLAN),
        PlanInhalt.model_validate(plan("Ausbildung im Lager", beteiligte=["Bildungsträger ABC"])),
    )
    changes = aenderungen(alt, neu)
    assert "Ziel geändert: Ausbildung im Lager" in changes and "Nicht mehr beteiligt: Familienbüro der Stadt" in changes
    assert aenderungen(None, neu) == ["Erste Fassung des Plans"]


def test_refuse_missed_cooperation_in_schlichtung_naming_r55():
    facts = KOOPERATIONSPLAN.initial_facts(KOOPERATIONSPLAN.start())
    with pytest.raises(NotAllowed) as refused:
        MACHINE.step("in_schlichtung", facts, "mitwirkung_versaeumt", None, NOW)
    assert "R55" in refused.value.reason


@pytest.mark.parametrize("state", [s.name for s in KOOPERATIONSPLAN.states])
def test_derive_rfb_pflicht_only_without_plan_or_with_aufforderung(state):
    facts = KOOPERATIONSPLAN.initial_facts(KOOPERATIONSPLAN.start())
    rfb = ("ohne_plan", "aufforderung_mit_rfb", "pflichten_per_verwaltungsakt")  # the last: R63, 2026 only
    assert KOOPERATIONSPLAN.derived(state, facts)["rfb_pflicht"] == (state in rfb)


def test_render_realistic_plan_on_one_a4_page():
    pages, text, (width, height) = _text(plan_pdf(PlanInhalt.model_validate(PLAN), KOPF))
    assert pages == 1 and (round(width), round(height)) == (595, 842)  # DIN A4 in points
    assert "Fachkraft für Lagerlogistik" in text and "Staplerschein" in text and "Bildungsträger ABC" in text
    assert "Mein Ziel" in text and "Das mache ich" in text and "So unterstützt mich das Jobcenter" in text


def test_r47_render_each_steps_status_on_an_agreed_version_still_on_one_page():
    """R47: an agreed version prints each step's status in its row; a draft (the R41 check) has no
    status column; the realistic plan still fits on one page with it."""
    inhalt = PlanInhalt.model_validate(PLAN)
    stand = {1: "erledigt", 2: "nicht_erledigt", 3: "offen", 4: "entfallen", 5: "offen", 6: "erledigt"}
    pages, text, _ = _text(plan_pdf(inhalt, KOPF, stand=stand))
    assert pages == 1 and "Stand" in text
    # sorted by date within a section: step 3 (31.01.), step 2 (28.02.), step 1 (31.03.)
    assert "Nachmittag. 31.01.2027 offen" in text
    assert "Bildungsträger. 28.02.2027 nicht erledigt" in text
    assert "Termin mit. 31.03.2027 erledigt" in text
    assert "(Bildungsgutschein). 15.01.2027 entfallen" in text
    assert "Prüfung. (Bildungsträger ABC) 28.02.2027 erledigt" in text
    _, draft_text, _ = _text(plan_pdf(inhalt, KOPF))
    assert "Stand" not in draft_text and "erledigt" not in draft_text


def test_render_plan_without_signature_lines_or_rfb():
    _, text, _ = _text(plan_pdf(PlanInhalt.model_validate(PLAN), KOPF))
    assert not [word for word in FORBIDDEN_ON_PLAN if word.lower() in text.lower()]
    assert "____" not in text


def test_refuse_plan_that_needs_a_second_page():
    with pytest.raises(PlanZuLang, match="DIN-A4-Seite"):
        plan_pdf(PlanInhalt.model_validate(overlong_plan()), KOPF)


def test_render_same_plan_to_same_bytes():
    inhalt = PlanInhalt.model_validate(PLAN)
    assert plan_pdf(inhalt, KOPF) == plan_pdf(inhalt, KOPF)


def test_keep_rfb_text_only_in_the_aufforderung_template():
    """R41/R43: only the Aufforderung zur Mitwirkung carries a Rechtsfolgenbelehrung; under
    grundsicherung_2026 also the duties by Verwaltungsakt and the first invitation (R63), whose
    triggers exist only in that regime's variant (tests/test_regimes.py); and the Meldeaufforderung
    (R64). The hearing and decision letters of a Minderung name it (R64–R67) without being an RFB."""
    with_rfb = {
        p.name for p in TEMPLATE_DIR.glob("*.j2") if any(m in p.read_text(encoding="utf-8") for m in RFB_MARKERS)
    }
    rfb = {f"{t}.txt.j2" for t in RFB_TEMPLATES}
    assert rfb <= with_rfb <= rfb | {f"{t}.txt.j2" for t in MINDERUNG_TEMPLATES}
    assert sorted(RFB_TEMPLATES) == [
        "aufforderung_mitwirkung",
        "einladung_meldetermin",
        "einladung_potenzialanalyse_rfb",
        "pflichten_verwaltungsakt",
    ]
    assert set(TEMPLATES) >= RFB_TEMPLATES | MINDERUNG_TEMPLATES
    for t in MINDERUNG_TEMPLATES:
        assert "Rechtsfolgenbelehrung" not in (TEMPLATE_DIR / f"{t}.txt.j2").read_text(encoding="utf-8")
