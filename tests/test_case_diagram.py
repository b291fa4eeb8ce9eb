"""A case's diagram: its state highlighted, the steps the viewer may take now marked.

Pure DOT from statemachines.diagram.case_dot; SVG (with a small cache) from runtime.svg.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from runtime import svg as runtime_svg
from statemachines.diagram import MARK, NOT_NOW, case_dot, role_dot, to_dot
from statemachines.engine import CaseMachine
from statemachines.neuantrag import NeuantragFacts
from statemachines.policy import Policy
from statemachines.registry import PROCESSES
from tests.test_diagrams import _triggers, dot_edges, dot_nodes, dot_rows, dot_summaries, dot_transitions

NEUANTRAG = PROCESSES["neuantrag"]
SVG = "{http://www.w3.org/2000/svg}"


def marked_arrows(dot: str, state: str) -> set[tuple[str, str, str]]:
    """(state, dest, trigger) of every marked arrow or row that leaves `state`."""
    states, boxes = set(dot_nodes(dot)), dot_summaries(dot)
    found = {
        (state, state, trigger)
        for owner, trigger, _, line in dot_rows(dot)
        if state in boxes.get(owner, [owner])
        and re.search(rf'ID="intern-{owner}-{trigger}-\d+"><FONT [^>]*>. {MARK} ', line)
    }
    into_junction = set()
    marked = [(tail, head, _triggers(attrs)) for tail, head, attrs in dot_edges(dot) if "markiert" in attrs]
    for tail, head, triggers in marked:
        if head not in states and tail == state:
            into_junction |= {(head, t) for t in triggers}
    for tail, head, triggers in marked:
        if head not in states:
            continue
        if tail == state or state in boxes.get(tail, []):
            found |= {(state, head, t) for t in triggers}
        else:  # out of a junction the state's marked line leads into
            found |= {(state, head, t) for t in triggers if (tail, t) in into_junction}
    return found


def stray_marks(dot: str, state: str) -> list[str]:
    """Marked arrows or rows that do not leave `state`."""
    states, boxes = set(dot_nodes(dot)), dot_summaries(dot)
    marked = [(tail, head) for tail, head, attrs in dot_edges(dot) if "markiert" in attrs]
    junctions = {head for tail, head in marked if tail == state and head not in states}
    stray = [f"{t} -> {h}" for t, h in marked if t != state and state not in boxes.get(t, []) and t not in junctions]
    stray += [
        f"row {owner}.{trigger}"
        for owner, trigger, _, line in dot_rows(dot)
        if re.search(rf'ID="intern-{owner}-{trigger}-\d+"><FONT [^>]*>. {MARK} ', line)
        and state not in boxes.get(owner, [owner])
    ]
    return stray


def facts(**values) -> NeuantragFacts:
    return NeuantragFacts(antragsweg="persoenlich", **values)


def test_highlight_current_state_only():
    nodes = dot_nodes(case_dot(NEUANTRAG, Policy(), "clearing_offen", []))
    assert "aktueller Stand" in nodes["clearing_offen"] and "penwidth=3" in nodes["clearing_offen"]
    assert not [name for name, attrs in nodes.items() if "aktueller Stand" in attrs and name != "clearing_offen"]


@pytest.mark.parametrize("state", ["antrag_eingegangen", "clearing_offen", "eigener_plan_wiedervorlage"])
def test_mark_exactly_the_allowed_steps_from_the_current_state(state):
    machine = CaseMachine(NEUANTRAG)
    allowed = machine.allowed(state, facts(), {"jobcoach"})
    assert allowed, "the jobcoach may do something here"
    dot = case_dot(NEUANTRAG, Policy(), state, allowed)
    expected = {(state, t.dest or state, t.trigger) for t in NEUANTRAG.transitions if state in t.source}
    expected = {arrow for arrow in expected if arrow[2] in allowed}
    assert marked_arrows(dot, state) == expected
    assert stray_marks(dot, state) == []


def test_label_steps_of_others_from_here_with_open_triangle():
    dot = case_dot(NEUANTRAG, Policy(), "clearing_offen", ["clearingtermin_vereinbart"])
    labels = [attrs for _, _, attrs in dot_edges(dot) if "label=<" in attrs]
    assert any(f"{MARK} Clearingtermin vereinbart" in a and "markiert" in a for a in labels)
    assert any(f"{NOT_NOW} Antrag zurückgenommen" in a and "markiert" not in a for a in labels)  # from the box
    assert not any(f"{NOT_NOW} An Clearing übergeben" in a for a in labels)  # leaves another state


def test_keep_the_training_diagram_nodes_and_arrows():
    for state in NEUANTRAG.states:
        dot = case_dot(NEUANTRAG, Policy(), state.name, ["arbeit_aufgenommen"])
        assert list(dot_nodes(dot)) == [s.name for s in NEUANTRAG.states]
        assert dot_transitions(dot) == dot_transitions(to_dot(NEUANTRAG, Policy()))


def test_mark_nothing_in_a_final_state():
    dot = case_dot(NEUANTRAG, Policy(), "integriert", [])
    assert "markiert" not in dot and "aktueller Stand" in dot_nodes(dot)["integriert"]


def test_refuse_unknown_state_or_trigger():
    with pytest.raises(ValueError, match="no state"):
        case_dot(NEUANTRAG, Policy(), "gibt_es_nicht", [])
    with pytest.raises(ValueError, match="no trigger"):
        case_dot(NEUANTRAG, Policy(), "clearing_offen", ["gibt_es_nicht"])


def test_mark_the_steps_of_a_role_and_grey_the_others():
    dot = role_dot(NEUANTRAG, Policy(), ["leistung"], "Leistungsabteilung")
    assert "Neuantrag – Sicht: Leistungsabteilung" in dot
    for _, _, attrs in dot_edges(dot):
        if "label=<" not in attrs or 'class="' not in attrs:
            continue  # the start arrow, lines into junctions, child cases
        classes = set(re.search(r'class="([^"]*)"', attrs)[1].split())
        triggers = classes - {"markiert"}
        of_leistung = any("leistung" in NEUANTRAG.trigger(t).roles for t in triggers)
        assert ("markiert" in classes) == of_leistung, attrs


# --- SVG with a cache -------------------------------------------------------------------------


def _node_group(svg: str, state: str) -> ET.Element:
    root = ET.fromstring(svg.encode("utf-8"))
    return next(g for g in root.iter(f"{SVG}g") if g.get("class") == "node" and g.findtext(f"{SVG}title") == state)


def test_render_case_svg_with_state_highlighted_and_steps_marked():
    runtime_svg._case_svg.cache_clear()
    svg = runtime_svg.case_svg("neuantrag", "clearing_offen", ["clearingtermin_vereinbart"], Policy())
    node = _node_group(svg, "clearing_offen")
    assert any(p.get("fill") == "#fff1b8" for p in node.iter(f"{SVG}path"))
    marked = [g for g in ET.fromstring(svg.encode()).iter(f"{SVG}g") if "markiert" in (g.get("class") or "")]
    assert [g.get("class") for g in marked] == ["edge clearingtermin_vereinbart markiert"]


def test_cache_case_svg_per_state_and_allowed_steps(monkeypatch):
    runtime_svg._case_svg.cache_clear()
    runs = []
    real = runtime_svg.render_svg
    monkeypatch.setattr(runtime_svg, "render_svg", lambda dot: runs.append(dot) or real(dot))
    first = runtime_svg.case_svg("schlichtung", "beantragt", ["zurueckgenommen"], Policy())
    again = runtime_svg.case_svg("schlichtung", "beantragt", ("zurueckgenommen", "zurueckgenommen"), Policy())
    other = runtime_svg.case_svg("schlichtung", "beantragt", [], Policy())
    assert first == again and other != first
    assert len(runs) == 2
    assert runtime_svg._case_svg.cache_info().maxsize == runtime_svg.CACHE_SIZE


async def test_render_case_svg_off_the_event_loop():
    svg = await runtime_svg.case_svg_async("gruppencoaching", "teilnahme", [], Policy())
    assert _node_group(svg, "teilnahme") is not None


def test_refuse_unknown_process():
    with pytest.raises(KeyError):
        runtime_svg.case_svg("gibt_es_nicht", "x", [], Policy())


async def test_render_a_role_view():
    svg = await runtime_svg.role_svg_async("neuantrag", ["jobcoach"], Policy(), "Jobcoach")
    assert "Sicht: Jobcoach" in svg
    marked = {
        g.get("class") for g in ET.fromstring(svg.encode()).iter(f"{SVG}g") if "markiert" in (g.get("class") or "")
    }
    assert "edge kontaktversuch_gescheitert markiert" in marked
