"""Training diagrams drawn from a process declaration: Mermaid and Graphviz DOT.

Pure text building (no I/O): runtime/diagrams.py runs Graphviz and writes the
files. Output is deterministic: states in declaration order, edges in
transition order, so the committed diagrams only change with the definitions.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import timedelta
from html import escape

from statemachines.policy import Policy
from statemachines.spec import SYSTEM, Process, Transition

FONT = "DejaVu Sans"
JUNCTION_MIN_SOURCES = 2  # a transition from this many states is drawn through one junction
OPEN_CLUSTER = "cluster_offen"
_PALETTE = ("#1f78b4", "#33a02c", "#6a3d9a", "#e31a1c", "#ff7f00", "#e377c2", "#a6761d", "#8e9a00")
_TIMER_COLOR = "#00796b"


@dataclass(frozen=True)
class DrawnEdge:
    """One drawn arrow: one transition from one source state."""

    source: str
    dest: str  # the source itself for an internal transition
    trigger: str
    internal: bool
    label: str
    conditions: str  # "" or e.g. "sonst, wenn …; nicht: …"
    timer: str  # "" or e.g. "⏱ nach 7 Tagen"
    roles: str  # "" or e.g. "(egs, jobcoach)"
    index: int  # position of the transition in the declaration


def label_for_duration(td: timedelta) -> str:
    """German duration after "nach" (dative): "1 Tag", "7 Tagen", "4 Wochen", "3 Stunden".

    Whole days read as days up to 13, multiples of a week from 14 on as weeks
    (R5's seven days stay "7 Tagen"); anything shorter as hours, minutes or seconds.
    """
    if td < timedelta(0):
        raise ValueError(f"negative duration {td}")
    seconds = int(td.total_seconds())
    days, rest = divmod(seconds, 86400)
    if seconds and not rest:
        if days % 7 == 0 and days >= 14:
            return _count(days // 7, "Woche", "Wochen")
        return _count(days, "Tag", "Tagen")
    if seconds and seconds % 3600 == 0:
        return _count(seconds // 3600, "Stunde", "Stunden")
    if seconds % 60 == 0:
        return _count(seconds // 60, "Minute", "Minuten")
    return _count(seconds, "Sekunde", "Sekunden")


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def plan(process: Process, policy: Policy) -> list[DrawnEdge]:
    """Every arrow both renderers draw, in declaration order."""
    drawn = []
    for index, t in enumerate(process.transitions):
        trig = process.trigger(t.trigger)
        roles = sorted(trig.roles - {SYSTEM})
        for source in t.source:
            drawn.append(
                DrawnEdge(
                    source=source,
                    dest=t.dest if t.dest is not None else source,
                    trigger=t.trigger,
                    internal=t.dest is None,
                    label=trig.label,
                    conditions=_conditions(process, index, t, source),
                    timer=_timer(process, policy, t.trigger, source),
                    roles=f"({', '.join(roles)})" if roles else "",
                    index=index,
                )
            )
    return drawn


def edges(process: Process, policy: Policy | None = None) -> set[tuple[str, str, str]]:
    """(source, dest, trigger) of every drawn arrow; an internal transition is a self-loop."""
    return {(e.source, e.dest, e.trigger) for e in plan(process, policy or Policy())}


def _conditions(process: Process, index: int, t: Transition, source: str) -> str:
    parts = [g.label for g in t.guards] + [f"nicht: {g.label}" for g in t.unless]
    # transitions' first-match semantics: a later transition of the same trigger is the "else" branch
    fallback = any(
        earlier.trigger == t.trigger and source in earlier.source and (earlier.guards or earlier.unless)
        for earlier in process.transitions[:index]
    )
    text = "; ".join(parts)
    if fallback:
        return f"sonst, wenn {text}" if text else "sonst"
    return text


def _timer(process: Process, policy: Policy, trigger: str, source: str) -> str:
    for d in process.state(source).deadlines:
        if d.trigger == trigger:
            if d.delay is not None:
                return f"⏱ nach {label_for_duration(getattr(policy, d.delay))}"
            return f"⏱ {d.label}"
    return ""


def _one_line(e: DrawnEdge) -> str:
    parts = ["↻ intern:" if e.internal else "", e.label, e.timer, f"[{e.conditions}]" if e.conditions else "", e.roles]
    return " ".join(p for p in parts if p)


# --- Mermaid ---------------------------------------------------------------------------------


def _mermaid_text(text: str) -> str:
    # Mermaid ends a transition description at ":", ";" and "#"
    return text.replace(":", "\u2236").replace(";", ",").replace("#", "Nr.").replace('"', "'")


def to_mermaid(process: Process, policy: Policy) -> str:
    lines = [
        f"%% {process.label} ({process.name}): generiert aus statemachines/, nicht von Hand bearbeiten",
        "stateDiagram-v2",
        "    direction LR",
    ]
    lines += [f'    state "{_mermaid_text(s.label)}" as {s.name}' for s in process.states]
    lines.append(f"    [*] --> {process.initial}")
    lines += [f"    {e.source} --> {e.dest} : {_mermaid_text(_one_line(e))}" for e in plan(process, policy)]
    finals = [s.name for s in process.states if s.final]
    lines += [f"    {name} --> [*]" for name in finals]
    lines += [f"    note right of {state} : {_mermaid_text(text)}" for state, _, text in _children(process)]
    lines.append("    classDef initial stroke-width:3px")
    lines.append("    classDef final fill:#dcefdc,stroke:#2e7d32,stroke-width:4px")
    lines.append(f"    class {process.initial} initial")
    lines += [f"    class {name} final" for name in finals]
    return "\n".join(lines) + "\n"


# --- Graphviz DOT ----------------------------------------------------------------------------


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _rows(e: DrawnEdge) -> list[str]:
    rows = [escape(("↻ " if e.internal else "") + e.label)]
    if e.timer:
        rows.append(f'<FONT COLOR="{_TIMER_COLOR}">{escape(e.timer)}</FONT>')
    if e.conditions:
        rows.append("<I>" + "<BR/>".join(escape(w) for w in textwrap.wrap(f"[{e.conditions}]", 36)) + "</I>")
    small = " · ".join(p for p in (e.roles, "intern" if e.internal else "") if p)
    if small:
        rows.append(f'<FONT POINT-SIZE="8" COLOR="#555555">{escape(small)}</FONT>')
    return rows


def _edge(tail: str, head: str, group: list[DrawnEdge], *extra: str, tooltip: str = "", bare: bool = False) -> str:
    """One DOT edge; `class` lists the triggers it stands for (tests and CSS read it).

    A bare edge (into a junction or the "every open state" box) has no label and no arrowhead.
    """
    triggers = " ".join(dict.fromkeys(e.trigger for e in group))
    attrs = [f'class="{triggers}"', f"tooltip={_q(tooltip or triggers)}", *extra]
    if bare:
        attrs.append("arrowhead=none")
    else:
        gap = '<BR/><FONT POINT-SIZE="4"> </FONT><BR/>'
        attrs.insert(0, "label=<" + gap.join("<BR/>".join(_rows(e)) for e in group) + ">")
        if group[0].internal:
            attrs += ["style=dashed", 'color="#777777"']
        elif group[0].timer:
            attrs += [f'color="{_TIMER_COLOR}"', "penwidth=1.6"]
    return f"  {_q(tail)} -> {_q(head)} [{', '.join(attrs)}];"


Groups = list[list[DrawnEdge]]


def _layout(process: Process, drawn: list[DrawnEdge]) -> tuple[dict[str, list[DrawnEdge]], Groups, Groups, Groups]:
    """Group the arrows for reading: internal loops per state, one junction per many-source
    transition (its guarded alternatives leave the same point, like a UML choice), and the
    transitions open in every non-final state drawn once from the frame around them."""
    open_states = {s.name for s in process.states if not s.final}
    loops: dict[str, list[DrawnEdge]] = {}
    single: Groups = []
    from_all: Groups = []
    junctions: Groups = []
    last_junction: tuple[str, tuple[str, ...]] | None = None
    for index, t in enumerate(process.transitions):
        group = [e for e in drawn if e.index == index]
        if t.dest is None:
            for e in group:
                loops.setdefault(e.source, []).append(e)
        elif (
            len(t.source) < JUNCTION_MIN_SOURCES
            or t.dest in t.source  # a re-entry reads better as its own loop
            or len({(e.conditions, e.timer) for e in group}) > 1
        ):
            single += [[e] for e in group]
        elif set(t.source) == open_states:
            from_all.append(group)
        elif last_junction == (t.trigger, t.source):
            junctions[-1] += group  # the "sonst" branch of the same trigger leaves the same junction
        else:
            junctions.append(group)
            last_junction = (t.trigger, t.source)
    return loops, single, from_all, junctions


def to_dot(process: Process, policy: Policy) -> str:
    loops, single, from_all, junctions = _layout(process, plan(process, policy))
    open_states = [s for s in process.states if not s.final]
    final_names = {s.name for s in process.states if s.final}
    out = [
        f"digraph {_q(process.name)} {{",
        (
            f'  graph [rankdir=TB, fontname="{FONT}", fontsize=18, labelloc=t, nodesep=0.5, ranksep=0.7,'
            f" compound=true, newrank=true, label={_q(f'Fahrplan: {process.label}')}];"
        ),
        (
            f'  node [fontname="{FONT}", fontsize=12, shape=box, style="rounded,filled", fillcolor="#eef4fb",'
            ' color="#3b6ea5", margin="0.2,0.1"];'
        ),
        f'  edge [fontname="{FONT}", fontsize=9, color="#333333", arrowsize=0.8];',
        '  "__start__" [shape=point, width=0.2, fillcolor=black, color=black, label="", tooltip="Start"];',
    ]
    names = [(f"__j{n}_{g[0].trigger}", _PALETTE[n % len(_PALETTE)]) for n, g in enumerate(junctions)]
    inside = [any(e.dest not in final_names for e in g) for g in junctions]
    out.append(f'  subgraph "{OPEN_CLUSTER}" {{')
    out.append('    graph [label="Offene Fälle", style="rounded,dashed", color="#999999", fontsize=12];')
    for s in open_states:
        extra = ", penwidth=2.5" if s.name == process.initial else ""
        out.append(f"    {_q(s.name)} [label={_q(s.label)}, tooltip={_q(s.name)}{extra}];")
    out += [f"    {_junction(j, c, g)}" for (j, c), g, ins in zip(names, junctions, inside) if ins]
    out.append("  }")
    out += [f"  {_junction(j, c, g)}" for (j, c), g, ins in zip(names, junctions, inside) if not ins]
    out.append("  { rank=max;")
    for s in process.states:
        if s.final:
            out.append(
                f"    {_q(s.name)} [label={_q(s.label)}, tooltip={_q(s.name + ' (Endzustand)')},"
                ' peripheries=2, fillcolor="#dcefdc", color="#2e7d32"];'
            )
    out.append("  }")
    out.append(f'  "__start__" -> {_q(process.initial)} [tooltip="Start"];')
    # internal loops on the right, re-entries (external self-loops) on the left: labels never collide
    out += [_edge(source, source, group, "tailport=e", "headport=e") for source, group in loops.items()]
    for g in single:
        ports = ("tailport=w", "headport=w") if g[0].source == g[0].dest else ()
        out.append(_edge(g[0].source, g[0].dest, g, *ports, tooltip=f"{g[0].trigger}: {g[0].source} → {g[0].dest}"))
    for (j, color), group in zip(names, junctions):
        sources = list(dict.fromkeys(e.source for e in group))
        out += [_edge(s, j, group[:1], f'color="{color}"', bare=True) for s in sources]
        for e in (e for e in group if e.source == sources[0]):
            tip = f"{e.trigger}: {', '.join(sources)} → {e.dest}"
            out.append(_edge(j, e.dest, [e], f'color="{color}"', tooltip=tip))
    if from_all:
        every, text = "__jeder_offene_fall__", "aus jedem offenen Fall"
        out.append(f'  {_q(every)} [shape=box, style="rounded,dashed", color="#999999", fontsize=10, label="{text}"];')
        frame = ("style=dashed", 'color="#999999"', f"ltail={_q(OPEN_CLUSTER)}")
        out.append(_edge(open_states[-1].name, every, [g[0] for g in from_all], *frame, bare=True))
        out += [_edge(every, g[0].dest, g[:1], tooltip=f"{g[0].trigger}: {text} → {g[0].dest}") for g in from_all]
    out += _child_nodes(process)
    out.append(f"  {_legend(bool(process.on_child_end) or any(t.spawns for t in process.transitions))}")
    out.append("}")
    return "\n".join(out) + "\n"


def _junction(name: str, color: str, group: list[DrawnEdge]) -> str:
    attrs = f'shape=point, width=0.14, color="{color}", fillcolor="{color}", label=""'
    return f"{_q(name)} [{attrs}, tooltip={_q(group[0].label)}];"


def _children(process: Process) -> list[tuple[str, str, str]]:
    """(state, child process, text) for every child case a transition starts: drawn beside the
    state it leads to, since the child runs while the parent waits there."""
    found = []
    for t in process.transitions:
        for spawn in t.spawns:
            for state in (t.dest,) if t.dest is not None else t.source:
                ended = process.on_child_end.get(spawn.process) if spawn.report else None
                label = spawn.process.replace("_", " ").capitalize()
                text = f"startet Kindprozess {label}" + (f"; sein Ende löst „{process.trigger(ended).label}“ aus" if ended else "")
                if (state, spawn.process, text) not in found:
                    found.append((state, spawn.process, text))
    return found


def _child_nodes(process: Process) -> list[str]:
    out = []
    for state, child, text in _children(process):
        node = f"__kind_{child}"
        label = f"Kindprozess: {child.replace('_', ' ').capitalize()}"
        out.append(
            f'  {_q(node)} [shape=component, style=filled, fillcolor="#fff8e1", color="#a6761d", fontsize=11,'
            f" label={_q(label)}, tooltip={_q(child)}];"
        )
        out.append(
            f'  {_q(state)} -> {_q(node)} [style=dashed, color="#a6761d", arrowhead=vee, fontsize=9,'
            f" label={_q(text)}, tooltip={_q(text)}];"
        )
    return out


def _legend(children: bool = False) -> str:
    rows = [
        ("⏱", "Frist: der Zeitgeber löst von selbst aus"),
        ("[ … ]", "Bedingung; „sonst“: wenn die vorige nicht greift"),
        ("( … )", "Rollen, die auslösen dürfen"),
        ("↻ - - -", "interner Übergang: der Zustand bleibt"),
        ("●", "derselbe Auslöser aus mehreren Zuständen (eine Farbe)"),
        ("Rahmen", "offene Fälle; „aus jedem offenen Fall“ gilt für jeden"),
        ("doppelt", "doppelter Rand: Endzustand"),
    ]
    if children:
        rows.append(("▭ - - -", "Kindprozess: eigener Fall, meldet sein Ende zurück"))
    cells = "".join(f'<TR><TD ALIGN="LEFT">{escape(a)}</TD><TD ALIGN="LEFT">{escape(b)}</TD></TR>' for a, b in rows)
    head = '<TR><TD COLSPAN="2"><B>Legende</B></TD></TR>'
    table = f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2">{head}{cells}</TABLE>>'
    return f'"__legende__" [shape=note, style=filled, fillcolor="#fafafa", color="#bbbbbb", fontsize=9, label={table}];'
