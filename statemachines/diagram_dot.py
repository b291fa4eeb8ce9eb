"""Graphviz DOT of a process: the training diagram, a role's view and a case's view.

Pure text (runtime/svg.py runs Graphviz). Deterministic: states in declaration
order, arrows in transition order. Every arrow carries the triggers it stands for as
`class`, every box that stands for several states names them in its `class`, and every
internal row its state and trigger in its ID: tests read the drawing back from these.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from html import escape

from statemachines.diagram_layout import Layout, Summary, layout
from statemachines.diagram_plan import DrawnEdge, plan
from statemachines.policy import Policy
from statemachines.spec import Process, State

FONT = "DejaVu Sans"
OPEN_CLUSTER = "cluster_offen"
SOURCES_CLASS = "quellen"  # first word of a summary box's class; the source states follow
_PALETTE = ("#1f78b4", "#33a02c", "#6a3d9a", "#e31a1c", "#ff7f00", "#e377c2", "#a6761d", "#8e9a00")
_TIMER_COLOR = "#00695c"
_FADED = "#b0b0b0"
_MARK_COLOR = "#0b4f9c"
_CURRENT_FILL, _CURRENT_LINE = "#fff1b8", "#8a5a00"
# In the label too, so a marked step does not depend on colour alone. Both triangles have the
# same width: a case's diagram has the same geometry whatever the viewer may do (tested per state).
MARK, NOT_NOW = "▶", "▷"


@dataclass(frozen=True)
class Focus:
    """What a view emphasises.

    `current`: the case's state, highlighted, with every arrow that leaves it (also from a
    junction or box it belongs to) labelled ▶ (in `marked`: the viewer may take it now) or ▷.
    `marked`: triggers whose arrows are marked (from `current` only, when given).
    `fade`: draw the unmarked arrows in grey (a role's view).
    """

    current: str | None = None
    marked: frozenset[str] = frozenset()
    fade: bool = False
    subtitle: str = ""

    def marks(self, e: DrawnEdge, sources: tuple[str, ...]) -> bool:
        """Whether the arrow of `e`, standing for the transition from `sources`, is marked."""
        return e.trigger in self.marked and (self.current is None or self.current in sources)

    def prefix(self, e: DrawnEdge, sources: tuple[str, ...]) -> str:
        if self.current is not None:
            return "" if self.current not in sources else (MARK if self.marks(e, sources) else NOT_NOW)
        return ""  # a role's view: colour and grey only, so it keeps the training diagram's layout


NO_FOCUS = Focus()


def to_dot(process: Process, policy: Policy, focus: Focus = NO_FOCUS) -> str:
    plan_ = layout(process, plan(process, policy))
    title = f"Fahrplan: {process.label}" + (f" – {focus.subtitle}" if focus.subtitle else "")
    # mclimit: a shorter search for fewer crossings; the longer default put arrows through labels
    # (Kooperationsplan, Neuantrag), 0.5 to 0.75 draws every view of every process readable.
    out = [
        f"digraph {_q(process.name)} {{",
        (
            f'  graph [rankdir=TB, fontname="{FONT}", fontsize=18, labelloc=t, nodesep=0.6, ranksep=0.75,'
            f" compound=true, newrank=true, mclimit=0.6, label={_q(title)}];"
        ),
        (
            f'  node [fontname="{FONT}", fontsize=12, shape=box, style="rounded,filled", fillcolor="#eef4fb",'
            ' color="#3b6ea5", margin="0.12,0.06"];'
        ),
        f'  edge [fontname="{FONT}", fontsize=9, color="#333333", arrowsize=0.8];',
        '  "__start__" [shape=point, width=0.2, fillcolor=black, color=black, label="", tooltip="Start"];',
    ]
    final_names = {s.name for s in process.states if s.final}
    junction_names = [(f"__j{n}_{g[0].trigger}", _PALETTE[n % len(_PALETTE)]) for n, g in enumerate(plan_.junctions)]
    out.append(f'  subgraph "{OPEN_CLUSTER}" {{')
    out.append('    graph [label="Offene Fälle", style="rounded,dashed", color="#999999", fontsize=12, margin=30];')
    out += [f"    {_state_node(process, s, plan_, focus)}" for s in process.states if not s.final]
    for (name, color), group in zip(junction_names, plan_.junctions, strict=True):
        if any(e.dest not in final_names for e in group):
            out.append(f"    {_junction(name, color, group)}")
    # A box for some open states and a child case of an open state sit inside the frame, next to
    # the states they stand for: outside it, the arrows that lead to them crossed the frame and
    # Graphviz printed their labels over other boxes and the frame (tests/test_diagram_layout.py).
    open_states = [s.name for s in process.states if not s.final]
    out += [f"    {_summary_node(box, focus)}" for box in plan_.summaries if not _from_every_open(box, open_states)]
    out += [f"    {node}" for node in _child_nodes(process, inside=True)]
    out.append("  }")
    for (name, color), group in zip(junction_names, plan_.junctions, strict=True):
        if all(e.dest in final_names for e in group):
            out.append(f"  {_junction(name, color, group)}")
    out.append("  { rank=max;")
    out += [f"    {_state_node(process, s, plan_, focus)}" for s in process.states if s.final]
    out.append("  }")
    out.append(f'  "__start__" -> {_q(process.initial)} [tooltip="Start"];')
    for e in plan_.single:
        out.append(_edge(e.source, e.dest, [e], focus, (e.source,), tooltip=f"{e.trigger}: {e.source} → {e.dest}"))
    for (name, color), group in zip(junction_names, plan_.junctions, strict=True):
        sources = list(dict.fromkeys(e.source for e in group))
        for s in sources:
            out.append(_edge(s, name, group[:1], focus, (s,), f'color="{color}"', bare=True))
        for e in (e for e in group if e.source == sources[0]):
            tip = f"{e.trigger}: {', '.join(sources)} → {e.dest}"
            out.append(_edge(name, e.dest, [e], focus, tuple(sources), f'color="{color}"', tooltip=tip))
    for box in plan_.summaries:
        out += _summary(box, focus, open_states)
    out += [f"  {node}" for node in _child_nodes(process, inside=False)]
    out += _child_edges(process)
    out.append(f"  {_legend(process, focus)}")
    out.append("}")
    return "\n".join(out) + "\n"


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _rows(e: DrawnEdge, prefix: str = "") -> list[str]:
    rows = [f"{prefix} {escape(e.label)}" if prefix else escape(e.label)]
    if e.timer:
        rows.append(f'<FONT COLOR="{_TIMER_COLOR}">{escape(e.timer)}</FONT>')
    if e.conditions:
        rows.append("<I>" + "<BR/>".join(escape(w) for w in textwrap.wrap(f"[{e.conditions}]", 36)) + "</I>")
    if e.roles:
        rows.append(f'<FONT POINT-SIZE="8" COLOR="#555555">{escape(e.roles)}</FONT>')
    return rows


def _edge(
    tail: str,
    head: str,
    group: list[DrawnEdge],
    focus: Focus,
    sources: tuple[str, ...],
    *extra: str,
    tooltip: str = "",
    bare: bool = False,
) -> str:
    """One DOT edge; `class` lists the triggers it stands for (tests and CSS read it).

    A bare edge (into a junction) has no label and no arrowhead.
    """
    triggers = " ".join(dict.fromkeys(e.trigger for e in group))
    marked = any(focus.marks(e, sources) for e in group)
    attrs = [f'class="{triggers}{" markiert" if marked else ""}"', f"tooltip={_q(tooltip or triggers)}"]
    style = list(extra)
    if bare:
        attrs.append("arrowhead=none")
    else:
        attrs.insert(0, "label=<" + "<BR/>".join(_rows(group[0], focus.prefix(group[0], sources))) + ">")
        if group[0].timer:
            style = [f'color="{_TIMER_COLOR}"', "penwidth=1.6", *style]
    if marked:
        style = [f'color="{_MARK_COLOR}"', "penwidth=3", f'fontcolor="{_MARK_COLOR}"']
    elif focus.fade:
        style = [f'color="{_FADED}"', f'fontcolor="{_FADED}"']
    return f"  {_q(tail)} -> {_q(head)} [{', '.join(attrs + style)}];"


def _row_cell(owner: str, e: DrawnEdge, focus: Focus, sources: tuple[str, ...]) -> str:
    marked = focus.marks(e, sources)
    text = "<BR/>".join(_rows(e, focus.prefix(e, sources)))
    color = _MARK_COLOR if marked else (_FADED if focus.fade else "#333333")
    cell = f'<TD ALIGN="LEFT" BALIGN="LEFT" ID="intern-{owner}-{e.trigger}-{e.index}">'
    mark = "↻" if e.internal else "↺"
    return f'<TR>{cell}<FONT POINT-SIZE="9" COLOR="{color}">{mark} {text}</FONT></TD></TR>'


def _table(head: str, rows: list[str]) -> str:
    body = "".join(rows)
    rule = "<HR/>" if rows else ""
    table = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3">'
    return f"<{table}<TR><TD>{head}</TD></TR>{rule}{body}</TABLE>>"


def _state_node(process: Process, s: State, plan_: Layout, focus: Focus) -> str:
    head = escape(s.label)
    attrs = []
    if s.name == focus.current:
        head = f'<B>{head}</B><BR/><FONT POINT-SIZE="9">{MARK} aktueller Stand</FONT>'
        attrs += [f'fillcolor="{_CURRENT_FILL}"', f'color="{_CURRENT_LINE}"', "penwidth=3"]
    elif s.name == process.initial:
        attrs.append("penwidth=2.5")
    if s.final:
        attrs += ["peripheries=2"] + ([] if s.name == focus.current else ['fillcolor="#dcefdc"', 'color="#2e7d32"'])
    rows = [_row_cell(s.name, e, focus, (s.name,)) for e in plan_.rows.get(s.name, [])]
    tip = s.name + (" (Endzustand)" if s.final else "")
    return f"{_q(s.name)} [label={_table(head, rows)}, tooltip={_q(tip)}{''.join(', ' + a for a in attrs)}];"


def _junction(name: str, color: str, group: list[DrawnEdge]) -> str:
    attrs = f'shape=point, width=0.12, color="{color}", fillcolor="{color}", label=""'
    return f"{_q(name)} [{attrs}, tooltip={_q(group[0].label)}];"


def _from_every_open(box: Summary, open_states: list[str]) -> bool:
    return set(box.sources) == set(open_states)


def _summary_node(box: Summary, focus: Focus) -> str:
    head = "<I>" + "<BR/>".join(escape(w) for w in textwrap.wrap(box.text, 40)) + "</I>"
    rows = [_row_cell(box.name, e, focus, box.sources) for e in box.rows]
    attrs = [
        f"label={_table(head, rows)}",
        f'class="{SOURCES_CLASS} {" ".join(box.sources)}"',
        f"tooltip={_q(box.text)}",
        'shape=box, style="rounded,dashed", fontsize=10',
        f'color="{_CURRENT_LINE}", penwidth=2' if focus.current in box.sources else 'color="#888888"',
    ]
    return f"{_q(box.name)} [{', '.join(attrs)}];"


def _summary(box: Summary, focus: Focus, open_states: list[str]) -> list[str]:
    """The arrows of a box; the box itself too when it stands for every open case (it sits
    outside the frame, the others are declared inside it)."""
    out = []
    if _from_every_open(box, open_states):
        # the frame around the open states leads to the box: "from every open case"
        out.append(f"  {_summary_node(box, focus)}")
        frame = f'style=dashed, color="#999999", arrowhead=none, ltail={_q(OPEN_CLUSTER)}'
        out.append(f'  {_q(open_states[-1])} -> {_q(box.name)} [class="", tooltip={_q(box.text)}, {frame}];')
    else:
        # keeps the box below its sources without drawing a line from each of them
        out += [f'  {_q(s)} -> {_q(box.name)} [class="", style=invis];' for s in box.sources]
    for e in box.arrows:
        tip = f"{e.trigger}: {box.text} → {e.dest}"
        out.append(_edge(box.name, e.dest, [e], focus, box.sources, tooltip=tip))
    return out


def children(process: Process) -> list[tuple[str, str, str]]:
    """(state, child process, text) for every child case a transition starts: drawn beside the
    state it leads to, since the child runs while the parent waits there."""
    found = []
    for t in process.transitions:
        for spawn in t.spawns:
            for state in (t.dest,) if t.dest is not None else t.source:
                ended = process.on_child_end.get(spawn.process) if spawn.report else None
                label = spawn.process.replace("_", " ").capitalize()
                text = f"startet Kindprozess {label}" + (
                    f"; sein Ende löst „{process.trigger(ended).label}“ aus" if ended else ""
                )
                if (state, spawn.process, text) not in found:
                    found.append((state, spawn.process, text))
    return found


def _child_nodes(process: Process, inside: bool) -> list[str]:
    """The boxes of the child processes: `inside` the frame those started only in open states
    (the child runs while its parent's case is open), the others outside it."""
    final = {s.name for s in process.states if s.final}
    states: dict[str, list[str]] = {}
    for state, child, _ in children(process):
        states.setdefault(child, []).append(state)
    out = []
    for child, where in states.items():
        if inside == (not final & set(where)):
            label = f"Kindprozess: {child.replace('_', ' ').capitalize()}"
            out.append(
                f'{_q("__kind_" + child)} [shape=component, style=filled, fillcolor="#fff8e1", color="#a6761d",'
                f" fontsize=11, label={_q(label)}, tooltip={_q(child)}];"
            )
    return out


def _child_edges(process: Process) -> list[str]:
    out = []
    for state, child, text in children(process):
        wrapped = "<BR/>".join(escape(w) for w in textwrap.wrap(text, 36))
        out.append(
            f'  {_q(state)} -> {_q("__kind_" + child)} [class="", style=dashed, color="#a6761d", arrowhead=vee,'
            f" fontsize=9, label=<{wrapped}>, tooltip={_q(text)}];"
        )
    return out


def _legend(process: Process, focus: Focus) -> str:
    rows = [
        ("Frist:", "der Zeitgeber löst von selbst aus"),
        ("[ … ]", "Bedingung; „sonst“: wenn die vorige nicht greift"),
        ("( … )", "Rollen, die auslösen dürfen"),
        ("↻ im Kasten", "interner Übergang: der Zustand bleibt"),
        ("↺ im Kasten", "der Zustand beginnt neu, seine Fristen auch"),
        ("●", "derselbe Auslöser aus zwei Zuständen (eine Farbe)"),
        ("aus …", "derselbe Auslöser aus den genannten Zuständen"),
        ("Rahmen", "offene Fälle"),
        ("doppelt", "doppelter Rand: Endzustand"),
    ]
    if process.on_child_end or any(t.spawns for t in process.transitions):
        rows.append(("▭ - - -", "Kindprozess: eigener Fall, meldet sein Ende zurück"))
    if focus.current is not None:  # the same rows for every viewer: the same geometry
        rows.append(("gelb", "aktueller Stand des Falls"))
        rows.append((f"{MARK} blau", "jetzt möglich, für Sie"))
        rows.append((NOT_NOW, "von hier möglich, aber nicht für Sie oder nicht jetzt"))
    elif focus.marked:
        rows.append(("blau", "Schritte dieser Rolle; grau: die der anderen"))
    cells = "".join(f'<TR><TD ALIGN="LEFT">{escape(a)}</TD><TD ALIGN="LEFT">{escape(b)}</TD></TR>' for a, b in rows)
    head = '<TR><TD COLSPAN="2"><B>Legende</B></TD></TR>'
    table = f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2">{head}{cells}</TABLE>>'
    return f'"__legende__" [shape=note, style=filled, fillcolor="#fafafa", color="#bbbbbb", fontsize=9, label={table}];'
