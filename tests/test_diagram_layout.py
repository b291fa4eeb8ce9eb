"""The diagrams are readable: no label printed over another label or over a node, no line
through a label, and every character drawn by the font the set-up installs (DejaVu Sans).

Read from the SVG itself (runtime/svg_labels.py): text positions from Graphviz, widths from
the font's own advance widths. Checked for the committed diagrams, every state's case
view and every role's view.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.svg import render_svg
from runtime.svg_labels import collisions, crossings, missing_glyphs, read
from statemachines.diagram import case_dot, role_dot
from statemachines.policy import Policy
from statemachines.regimes import Regimes, for_regime
from statemachines.registry import PROCESSES
from statemachines.roles import LABELS as ROLE_LABELS
from statemachines.spec import SYSTEM

COMMITTED = Path(__file__).resolve().parent.parent / "diagrams"
NAMES = sorted(PROCESSES)


def assert_readable(svg: str, what: str) -> None:
    assert collisions(svg) == [], what
    assert crossings(svg) == [], what
    assert missing_glyphs(svg) == {}, what


@pytest.mark.parametrize("name", NAMES)
def test_print_no_label_over_label_node_or_line_in_committed_diagram(name):
    svg = (COMMITTED / f"{name}.svg").read_text(encoding="utf-8")
    texts, shapes = read(svg)
    assert len([t for t in texts if t.kind == "edge"]) > 5 and len(shapes) >= len(PROCESSES[name].states)
    assert_readable(svg, name)


# A case is drawn as its process exists under the case's regime (R61), never as the union of all.
REGIMES = Regimes.load()


@pytest.mark.parametrize("regime", sorted(REGIMES.by_name))
@pytest.mark.parametrize("name", NAMES)
def test_print_no_label_over_label_node_or_line_in_any_case_view(name, regime):
    process = for_regime(PROCESSES[name], REGIMES.get(regime))
    for state in process.states:
        allowed = [t.name for t in process.triggers if not t.timer_only]
        assert_readable(render_svg(case_dot(process, Policy(), state.name, allowed)), state.name)


@pytest.mark.parametrize("regime", sorted(REGIMES.by_name))
@pytest.mark.parametrize("name", NAMES)
def test_print_no_label_over_label_node_or_line_in_any_role_view(name, regime):
    process = for_regime(PROCESSES[name], REGIMES.get(regime))
    for role in sorted(process.roles - {SYSTEM}):
        assert_readable(render_svg(role_dot(process, Policy(), [role], ROLE_LABELS[role])), role)


def _svg(*items: str) -> str:
    return '<svg xmlns="http://www.w3.org/2000/svg"><g id="graph0" class="graph">' + "".join(items) + "</g></svg>"


def _edge(id_: str, x: float, y: float, text: str, path: str = "") -> str:
    line = f'<path d="{path}"/>' if path else ""
    return (
        f'<g id="{id_}" class="edge"><title>a&#45;&gt;b</title>{line}'
        f'<text text-anchor="middle" x="{x}" y="{y}" font-family="DejaVu Sans" font-size="9.00">{text}</text></g>'
    )


def test_find_label_printed_over_label():
    assert collisions(_svg(_edge("edge1", 100, 50, "Wiedervorlage fällig"), _edge("edge2", 110, 52, "ALG-I-Bezug")))


def test_find_label_printed_over_node():
    node = (
        '<g id="node1" class="node"><title>clearing_offen</title>'
        '<path d="M80,40C80,40 140,40 140,40 140,40 140,70 140,70 140,70 80,70 80,70"/></g>'
    )
    assert collisions(_svg(node, _edge("edge1", 100, 55, "Leistung bewilligt")))


def test_find_line_through_label():
    svg = _svg(_edge("edge1", 100, 50, "Leistung bewilligt"), _edge("edge2", 0, 0, "x", "M100,0C100,30 100,60 100,90"))
    assert crossings(svg)


def test_accept_labels_side_by_side():
    svg = _svg(_edge("edge1", 100, 50, "Frist"), _edge("edge2", 100, 80, "Frist"))
    assert collisions(svg) == [] and crossings(svg) == []


def test_find_character_the_font_cannot_draw():
    assert missing_glyphs(_svg(_edge("edge1", 100, 50, "\u23f1 nach 7 Tagen"))) == {"DejaVu Sans": {"\u23f1"}}
