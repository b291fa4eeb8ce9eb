"""The Kooperationsplan as one DIN-A4 page (R41): plain German, goal, steps, support.

No signature lines and no Rechtsfolgenbelehrung: the plan is a joint, legally
non-binding agreement. A plan that needs a second page is refused (`PlanZuLang`),
so the check and the printed document are the very same rendering.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Table, TableStyle

from statemachines.plan_inhalt import PlanInhalt, Schritt

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FONT, BOLD = "PlanSans", "PlanSans-Bold"
GREY = colors.HexColor("#555555")
LINE = colors.HexColor("#b0b8c4")
HEAD = colors.HexColor("#eef4fb")


class PlanZuLang(ValueError):
    """The plan does not fit on one DIN-A4 page (R41)."""

    def __init__(self, pages: int):
        super().__init__(f"Der Kooperationsplan passt nicht auf eine DIN-A4-Seite (er braucht {pages} Seiten)")
        self.pages = pages


@dataclass(frozen=True)
class PlanKopf:
    """What the page says besides the content: for whom, which version, until when."""

    name: str
    fallnummer: str
    version: int | None = None  # None: not yet agreed (the one-page check of a draft)
    gueltig_ab: date | None = None
    ueberpruefung_bis: date | None = None


def _register_fonts() -> None:
    """DejaVu Sans (wide Unicode coverage) when installed, else the Vera fonts bundled with reportlab."""
    regular, bold = _DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf"
    if not (regular.exists() and bold.exists()):
        regular, bold = Path("Vera.ttf"), Path("VeraBd.ttf")
    pdfmetrics.registerFont(TTFont(FONT, str(regular)))
    pdfmetrics.registerFont(TTFont(BOLD, str(bold)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


_register_fonts()

TITLE = ParagraphStyle("titel", fontName=BOLD, fontSize=20, leading=24, spaceAfter=4)
META = ParagraphStyle("meta", fontName=FONT, fontSize=9, leading=12, textColor=GREY, spaceAfter=10)
H2 = ParagraphStyle("h2", fontName=BOLD, fontSize=12.5, leading=16, spaceBefore=10, spaceAfter=4)
BODY = ParagraphStyle("text", fontName=FONT, fontSize=10.5, leading=14)
CELL = ParagraphStyle("zelle", fontName=FONT, fontSize=10, leading=13)
CELL_HEAD = ParagraphStyle("kopf", parent=CELL, fontName=BOLD)
NOTE = ParagraphStyle("hinweis", parent=BODY, fontSize=9.5, leading=13, textColor=GREY, spaceBefore=12)


def _datum(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def _p(text: str, style: ParagraphStyle = CELL) -> Paragraph:
    return Paragraph(escape(text), style)


STATUS_LABELS = {"offen": "offen", "erledigt": "erledigt", "nicht_erledigt": "nicht erledigt", "entfallen": "entfallen"}


def _steps(
    schritte: list[tuple[int, Schritt]], width: float, mit_durch: bool = False, stand: dict[int, str] | None = None
) -> Table:
    """The steps by due date; with `stand` (an agreed version, R47) a column with each step's status."""
    head = [_p("Was", CELL_HEAD), _p("Bis wann", CELL_HEAD)]
    rows = [[*head, _p("Stand", CELL_HEAD)] if stand is not None else head]
    for nr, s in sorted(schritte, key=lambda item: item[1].bis):
        was = f"{s.was} ({s.durch})" if mit_durch and s.durch else s.was
        row = [_p(was), _p(_datum(s.bis))]
        if stand is not None:
            row.append(_p(STATUS_LABELS[stand.get(nr, "offen")]))
        rows.append(row)
    widths = [width - 3.2 * cm, 3.2 * cm]
    if stand is not None:
        widths = [width - 6.0 * cm, 2.8 * cm, 3.2 * cm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), HEAD),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, LINE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _story(inhalt: PlanInhalt, kopf: PlanKopf, width: float, status: dict[int, str] | None = None) -> list:
    stand = f"Version {kopf.version}" if kopf.version else "Entwurf"
    if kopf.gueltig_ab:
        stand += f" vom {_datum(kopf.gueltig_ab)}"
    story = [
        Paragraph("Mein Kooperationsplan", TITLE),
        _p(f"für {kopf.name} · Fallnummer {kopf.fallnummer} · {stand}", META),
        _p(
            "Diesen Plan haben wir gemeinsam aufgeschrieben. Er zeigt Ihr Ziel und die nächsten Schritte dorthin.", BODY
        ),
        KeepTogether([Paragraph("Mein Ziel", H2), _p(inhalt.ziel, BODY)]),
    ]
    numbered = list(enumerate(inhalt.schritte, 1))  # R47: a step's number is its place in the plan
    sections = (
        ("Das mache ich", [(nr, s) for nr, s in numbered if s.wer == "elb"], False),
        ("So unterstützt mich das Jobcenter", [(nr, s) for nr, s in numbered if s.wer == "jobcenter"], False),
        ("Das machen andere für mich", [(nr, s) for nr, s in numbered if s.wer == "dritte"], True),
    )
    for title, steps, mit_durch in sections:
        if steps:
            story.append(KeepTogether([Paragraph(title, H2), _steps(steps, width, mit_durch, status)]))
    if inhalt.beteiligte:
        story.append(KeepTogether([Paragraph("Außerdem dabei", H2), _p(", ".join(inhalt.beteiligte), BODY)]))
    review = (
        f"spätestens am {_datum(kopf.ueberpruefung_bis)}" if kopf.ueberpruefung_bis else "spätestens nach sechs Monaten"
    )
    story.append(
        _p(
            f"Wir schauen {review} gemeinsam, wie es läuft, und passen den Plan an. "
            "Merken Sie vorher, dass Sie etwas nicht schaffen? Dann sagen Sie uns bitte früh Bescheid. "
            "Dieser Plan ist eine gemeinsame Absprache. Er ist rechtlich nicht bindend.",
            NOTE,
        )
    )
    return story


def plan_pdf(inhalt: PlanInhalt, kopf: PlanKopf, *, strict: bool = True, stand: dict[int, str] | None = None) -> bytes:
    """Render the plan on one DIN-A4 page; raises PlanZuLang when it needs more (R41).

    `strict=False` prints an agreed version even if it no longer fits (e.g. a longer name).
    `stand` (step number -> status, R47): an agreed version shows each step's status as recorded."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=2.2 * cm,
        rightMargin=2.2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title="Kooperationsplan",
        author="Jobcenter",
        lang="de-DE",
        invariant=1,  # same plan, same bytes: no creation date or random document id
    )
    doc.build(_story(inhalt, kopf, doc.width, stand))
    if strict and doc.page > 1:
        raise PlanZuLang(doc.page)
    return buffer.getvalue()
