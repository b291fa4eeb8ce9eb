"""The training diagrams are drawn from the declarations (DESIGN: one definition, four uses).

Like pytransitions' own graph tests: the drawn nodes are the declared states and
the drawn edges the declared transitions; plus the committed files are current.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from runtime import svg as runtime_svg
from runtime.svg import GraphvizMissing, render_svg
from statemachines.diagram import SOURCES_CLASS, TIMER, edges, label_for_duration, plan, to_dot, to_mermaid
from statemachines.policy import Policy
from statemachines.registry import PROCESSES
from statemachines.spec import Process
from worker.commands.diagrams import diagram_files_differ, write_diagrams

COMMITTED = Path(__file__).resolve().parent.parent / "diagrams"
ALL = [PROCESSES[name] for name in sorted(PROCESSES)]
by_name = pytest.mark.parametrize("process", ALL, ids=[p.name for p in ALL])

_DOT_EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)" \[(.*)\];$')
_DOT_NODE = re.compile(r'^\s*"([^"]+)" \[(.*)\];$')
_DOT_ROW = re.compile(r'ID="intern-(\w+?)-(\w+)-(\d+)"><FONT [^>]*>(.) ')
_MMD_STATE = re.compile(r'^\s*state "[^"]*" as (\w+)$')
_MMD_EDGE = re.compile(r"^\s*(\w+|\[\*\]) --> (\w+|\[\*\])(?: : (.*))?$")


def declared(process: Process) -> set[tuple[str, str, str]]:
    return {(s, t.dest or s, t.trigger) for t in process.transitions for s in t.source}


def dot_nodes(dot: str) -> dict[str, str]:
    """Node id → attributes, for the states (helper nodes are named __…)."""
    nodes = {}
    for line in dot.splitlines():
        if not _DOT_EDGE.match(line) and (m := _DOT_NODE.match(line)) and not m[1].startswith("__"):
            assert m[1] not in nodes, f"node {m[1]} drawn twice"
            nodes[m[1]] = m[2]
    return nodes


def dot_edges(dot: str) -> list[tuple[str, str, str]]:
    return [(m[1], m[2], m[3]) for line in dot.splitlines() if (m := _DOT_EDGE.match(line))]


def dot_summaries(dot: str) -> dict[str, list[str]]:
    """Box id → the states it stands for (its class: "quellen" and the state names)."""
    found = {}
    for line in dot.splitlines():
        m = None if _DOT_EDGE.match(line) else _DOT_NODE.match(line)
        if m and (c := re.search(rf'class="{SOURCES_CLASS} ([^"]*)"', m[2])):
            found[m[1]] = c[1].split()
    return found


def dot_rows(dot: str) -> list[tuple[str, str, str, str]]:
    """(owner, trigger, mark, line) of every transition drawn as a row inside a box."""
    rows = []
    for line in dot.splitlines():
        if (m := _DOT_NODE.match(line)) and not _DOT_EDGE.match(line):
            for r in _DOT_ROW.finditer(m[2]):
                rows.append((r[1], r[2], r[4], m[2]))
    return rows


def _triggers(attrs: str) -> set[str]:
    found = re.search(r'class="([^"]*)"', attrs)
    return set(found[1].split()) - {"markiert"} if found else set()


def dot_transitions(dot: str) -> set[tuple[str, str, str]]:
    """Read (source, dest, trigger) back from the drawing: arrows carry their triggers as
    `class`, junctions pass them through, a summary box stands for the states its class
    names, and a row inside a box is a transition from each of its states to itself."""
    states, boxes = set(dot_nodes(dot)), dot_summaries(dot)

    def sources(node: str) -> list[str]:
        return boxes.get(node, [node])

    found = {(s, s, trigger) for owner, trigger, _, _ in dot_rows(dot) for s in sources(owner)}
    into, out_of = {}, {}
    for tail, head, attrs in dot_edges(dot):
        triggers = _triggers(attrs)
        if (tail in states or tail in boxes) and head in states:
            found |= {(s, head, t) for s in sources(tail) for t in triggers}
        elif head not in states:
            into.setdefault(head, []).append((tail, triggers))
        else:
            out_of.setdefault(tail, []).append((head, triggers))
    for helper, incoming in into.items():
        for tail, t_in in incoming:
            for head, t_out in out_of.get(helper, []):
                found |= {(tail, head, t) for t in t_in & t_out}
    return found


def mermaid_edges(mmd: str) -> list[tuple[str, str, str]]:
    return [(m[1], m[2], m[3] or "") for line in mmd.splitlines() if (m := _MMD_EDGE.match(line))]


def mermaid_transitions(mmd: str, process: Process) -> list[tuple[str, str, str]]:
    """(source, dest, trigger): every edge text starts with its trigger's label."""
    by_label = sorted(((t.label, t.name) for t in process.triggers), key=lambda lt: -len(lt[0]))
    found = []
    for a, b, text in mermaid_edges(mmd):
        if "[*]" not in (a, b):
            text = text.removeprefix("↻ intern\u2236 ")
            found.append((a, b, next(name for label, name in by_label if text.startswith(label))))
    return found


# --- committed files --------------------------------------------------------------------------


def test_match_committed_diagrams_with_definitions():
    differ = diagram_files_differ(COMMITTED)
    assert not differ, f"diagrams/ is stale ({', '.join(differ)}): run `fahrplan diagrams` and commit the result"


def test_report_changed_and_stale_files_as_different(tmp_path):
    write_diagrams(tmp_path)
    assert diagram_files_differ(tmp_path) == []
    (tmp_path / "neuantrag.mmd").write_text("stateDiagram-v2\n", encoding="utf-8")
    (tmp_path / "entfallen.svg").write_text("<svg/>", encoding="utf-8")
    assert diagram_files_differ(tmp_path) == ["entfallen.svg", "neuantrag.mmd"]


def test_write_mermaid_and_svg_for_every_process(tmp_path):
    """One pair per process (buergergeld_2023), and one per later regime where the process differs
    (R61): under grundsicherung_2026 the Kooperationsplan (R62, R63) and the Minderung (§ 7b, R66)."""
    written = write_diagrams(tmp_path)
    stems = [*PROCESSES, "kooperationsplan.grundsicherung_2026", "minderung.grundsicherung_2026"]
    assert sorted(p.name for p in written) == sorted(f"{n}.{ext}" for n in stems for ext in ("mmd", "svg"))


def test_draw_each_regime_with_its_own_states_and_triggers(tmp_path):
    write_diagrams(tmp_path)
    old = (tmp_path / "kooperationsplan.mmd").read_text(encoding="utf-8")
    new = (tmp_path / "kooperationsplan.grundsicherung_2026.mmd").read_text(encoding="utf-8")
    assert "in_schlichtung" in old and "Schlichtung beantragt" in old and "pflichten_per_verwaltungsakt" not in old
    assert "in_schlichtung" not in new and "Schlichtung beantragt" not in new  # R62
    assert "ohne_plan --> pflichten_per_verwaltungsakt" in new and "pflichten_per_verwaltungsakt --> aktiv" in new
    assert "mit RFB" in new and "mit RFB)" not in old  # R63 first invitation; R43 under the old law


def test_strip_graphviz_version_from_svg():
    svg = render_svg('digraph "g" { "a" -> "b"; }')
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Generated by graphviz" not in svg


def test_raise_clear_error_when_dot_missing(monkeypatch):
    monkeypatch.setattr(runtime_svg.shutil, "which", lambda name: None)
    with pytest.raises(GraphvizMissing, match="Graphviz 'dot' not found"):
        render_svg('digraph "g" { }')


@by_name
def test_render_identical_text_on_every_run(process):
    assert to_dot(process, Policy()) == to_dot(process, Policy())
    assert to_mermaid(process, Policy()) == to_mermaid(process, Policy())


# --- nodes and edges equal the declaration ----------------------------------------------------


@by_name
def test_draw_declared_states_as_dot_nodes(process):
    assert list(dot_nodes(to_dot(process, Policy()))) == [s.name for s in process.states]


@by_name
def test_draw_declared_states_as_mermaid_states(process):
    mmd = to_mermaid(process, Policy())
    assert [m[1] for line in mmd.splitlines() if (m := _MMD_STATE.match(line))] == [s.name for s in process.states]


@by_name
def test_list_declared_transitions_as_edges(process):
    assert edges(process) == declared(process)


@by_name
def test_draw_declared_transitions_in_dot(process):
    assert dot_transitions(to_dot(process, Policy())) == declared(process)


@by_name
def test_draw_declared_transitions_in_mermaid(process):
    drawn = mermaid_transitions(to_mermaid(process, Policy()), process)
    assert set(drawn) == declared(process)
    assert len(drawn) == len(plan(process, Policy()))


@by_name
def test_mark_initial_state(process):
    assert f"[*] --> {process.initial}" in to_mermaid(process, Policy())
    assert f'"__start__" -> "{process.initial}"' in to_dot(process, Policy())


# --- labels -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (timedelta(days=7), "7 Tagen"),
        (timedelta(days=1), "1 Tag"),
        (timedelta(weeks=4), "4 Wochen"),
        (timedelta(weeks=2), "2 Wochen"),
        (timedelta(hours=3), "3 Stunden"),
        (timedelta(hours=1), "1 Stunde"),
        (timedelta(minutes=90), "90 Minuten"),
    ],
)
def test_name_duration_in_german(duration, text):
    assert label_for_duration(duration) == text


def test_refuse_negative_duration():
    with pytest.raises(ValueError):
        label_for_duration(timedelta(days=-1))


def timer_texts(process: Process, policy: Policy):
    """(source, trigger, expected text) for every timer edge, computed from the declaration."""
    for state in process.states:
        for d in state.deadlines:
            text = f"nach {label_for_duration(getattr(policy, d.delay))}" if d.delay else d.label
            yield state.name, d.trigger, f"{TIMER} {text}"


@by_name
@pytest.mark.parametrize(
    "policy",
    [Policy(), Policy(clearing_kontakt_nach=timedelta(days=10), wiedervorlage_intervall=timedelta(weeks=6))],
    ids=["seed", "changed"],
)
def test_label_timer_edges_with_policy_duration(process, policy):
    mmd, dot = to_mermaid(process, policy), to_dot(process, policy)
    expected = list(timer_texts(process, policy))
    assert expected, "process declares no deadline"
    for source, trigger, text in expected:
        label = process.trigger(trigger).label
        lines = [lbl for a, _, lbl in mermaid_edges(mmd) if a == source and label in lbl]
        in_mermaid = text.replace(":", "\u2236")  # Mermaid cannot show ":" in edge text
        assert lines and all(in_mermaid in lbl for lbl in lines), (source, trigger, text)
        drawn = [attrs for _, _, attrs in dot_edges(dot)] + [line for *_, line in dot_rows(dot)]
        assert any(text in attrs and trigger in attrs for attrs in drawn), (source, trigger, text)


def test_show_german_labels_guards_and_roles():
    mmd = to_mermaid(PROCESSES["neuantrag"], Policy())
    line = next(lbl for a, b, lbl in mermaid_edges(mmd) if (a, b) == ("antrag_eingegangen", "clearing_offen"))
    assert "An Clearing übergeben" in line and "(R10)" in line and "(egs)" in line
    assert "nicht\u2236 anerkannter Rehabilitand (R4)" in mmd  # Mermaid cannot show ":" in edge text


@by_name
def test_draw_transitions_to_the_same_state_as_rows_not_loops(process):
    """UML draws internal transitions inside the state; labelled self-loops printed labels
    over labels. ↻: the state stays; ↺: it is entered anew (its deadlines restart)."""
    dot = to_dot(process, Policy())
    assert not [(a, b) for a, b, attrs in dot_edges(dot) if a == b], "no self-loops"
    boxes = dot_summaries(dot)
    rows = dot_rows(dot)
    for owner, trigger, mark, _ in rows:
        for source in boxes.get(owner, [owner]):
            declared_here = [t for t in process.transitions if t.trigger == trigger and source in t.source]
            kinds = {"↻" if t.dest is None else "↺" for t in declared_here if t.dest in (None, source)}
            assert mark in kinds, (owner, trigger, mark)
    internal = {(s, t.trigger) for t in process.transitions if t.dest is None for s in t.source}
    drawn_internal = {
        (s, trigger) for owner, trigger, mark, _ in rows if mark == "↻" for s in boxes.get(owner, [owner])
    }
    assert drawn_internal == internal
    mmd = to_mermaid(process, Policy())
    for (a, b, label), (_, _, trigger) in zip(
        [e for e in mermaid_edges(mmd) if "[*]" not in e[:2]], mermaid_transitions(mmd, process), strict=True
    ):
        is_internal = any(t.dest is None and t.trigger == trigger and a in t.source for t in process.transitions)
        assert label.startswith("↻ intern") == (is_internal and a == b), (a, b, trigger)


# --- final states -----------------------------------------------------------------------------


@by_name
def test_mark_final_states_distinct_in_dot(process):
    nodes = dot_nodes(to_dot(process, Policy()))
    for state in process.states:
        marked = "peripheries=2" in nodes[state.name] and 'fillcolor="#dcefdc"' in nodes[state.name]
        assert marked == state.final, state.name


@by_name
def test_mark_final_states_distinct_in_mermaid(process):
    lines = set(to_mermaid(process, Policy()).splitlines())
    for state in process.states:
        assert (f"    {state.name} --> [*]" in lines) == state.final, state.name
        assert (f"    class {state.name} final" in lines) == state.final, state.name
    assert any(line.startswith("    classDef final ") for line in lines)
