"""How the arrows of a diagram are grouped for reading, before any DOT is written.

- A transition from a state to itself is a row inside that state, as UML draws internal
  transitions: "↻" the state stays (internal), "↺" it is left and entered anew, so its
  deadlines start again. Labelled self-loops were what printed labels over labels.
- A transition from two states leaves one junction point (its guarded alternatives too).
- A transition from three or more states is drawn once, from a small box that names
  them ("aus jedem offenen Fall", "aus: A, B, C"): no line from every state across the page.

A case's and a role's view use the same grouping, so they look like the training diagram
people learned (and keep its tested layout); they only mark arrows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from statemachines.diagram_plan import DrawnEdge
from statemachines.spec import Process

JUNCTION_MIN_SOURCES = 2
SUMMARY_MIN_SOURCES = 3


@dataclass
class Summary:
    """One box standing for several source states."""

    name: str
    sources: tuple[str, ...]
    text: str
    arrows: list[DrawnEdge] = field(default_factory=list)  # one per transition, drawn from the box
    rows: list[DrawnEdge] = field(default_factory=list)  # internal transitions of all its sources


@dataclass
class Layout:
    rows: dict[str, list[DrawnEdge]] = field(default_factory=dict)  # state -> its transitions to itself
    single: list[DrawnEdge] = field(default_factory=list)
    junctions: list[list[DrawnEdge]] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)


def layout(process: Process, drawn: list[DrawnEdge]) -> Layout:
    out = Layout()
    open_states = tuple(s.name for s in process.states if not s.final)
    by_sources: dict[tuple[str, ...], Summary] = {}
    last_junction: tuple[str, tuple[str, ...]] | None = None
    for index, t in enumerate(process.transitions):
        group = [e for e in drawn if e.index == index]
        sources = tuple(dict.fromkeys(e.source for e in group))
        if len(sources) >= SUMMARY_MIN_SOURCES and len({(e.conditions, e.timer) for e in group}) == 1:
            box = by_sources.get(sources)
            if box is None:
                name = f"__aus_{len(by_sources)}"
                box = by_sources[sources] = Summary(name, sources, _sources_text(process, sources, open_states))
                out.summaries.append(box)
            (box.rows if t.dest is None else box.arrows).append(group[0])
        elif (
            t.dest is None
            or len(sources) < JUNCTION_MIN_SOURCES
            or t.dest in sources  # a re-entry reads better as a row of its state
            or len({(e.conditions, e.timer) for e in group}) > 1
        ):
            _place_single(out, group)
        elif last_junction == (t.trigger, sources):
            out.junctions[-1] += group  # the "sonst" branch of the same trigger leaves the same junction
        else:
            out.junctions.append(group)
            last_junction = (t.trigger, sources)
    return out


def _place_single(out: Layout, group: list[DrawnEdge]) -> None:
    for e in group:
        if e.source == e.dest:
            out.rows.setdefault(e.source, []).append(e)
        else:
            out.single.append(e)


def _sources_text(process: Process, sources: tuple[str, ...], open_states: tuple[str, ...]) -> str:
    """ "aus jedem offenen Fall", "… außer X", or the list: whichever is shortest to read."""
    if set(sources) == set(open_states):
        return "aus jedem offenen Fall"
    listed = "aus: " + ", ".join(process.state(s).label for s in sources)
    missing = [s for s in open_states if s not in sources]
    if set(sources) <= set(open_states) and len(missing) < len(sources):
        others = "aus jedem offenen Fall außer: " + ", ".join(process.state(s).label for s in missing)
        if len(others) < len(listed):
            return others
    return listed
