"""Training diagrams drawn from a process declaration: Mermaid and Graphviz DOT.

Pure text building (no I/O): runtime/svg.py runs Graphviz and writes the
files. Output is deterministic: states in declaration order, edges in
transition order, so the committed diagrams only change with the definitions.

- `to_dot(process, policy)`: the training diagram (committed under diagrams/).
- `role_dot(process, policy, roles)`: the same with the steps of some roles marked.
- `case_dot(process, policy, state, allowed)`: a case's diagram: its state highlighted,
  the steps the viewer may take now marked and drawn straight from it.
"""

from __future__ import annotations

from collections.abc import Iterable

from statemachines.diagram_dot import FONT, MARK, NOT_NOW, OPEN_CLUSTER, SOURCES_CLASS, Focus, children, to_dot
from statemachines.diagram_layout import JUNCTION_MIN_SOURCES, SUMMARY_MIN_SOURCES
from statemachines.diagram_plan import TIMER, DrawnEdge, edges, label_for_duration, one_line, plan
from statemachines.policy import Policy
from statemachines.spec import SYSTEM, Process

__all__ = [
    "FONT",
    "JUNCTION_MIN_SOURCES",
    "MARK",
    "NOT_NOW",
    "OPEN_CLUSTER",
    "SOURCES_CLASS",
    "SUMMARY_MIN_SOURCES",
    "TIMER",
    "DrawnEdge",
    "Focus",
    "case_dot",
    "edges",
    "label_for_duration",
    "plan",
    "role_dot",
    "to_dot",
    "to_mermaid",
]


def case_dot(process: Process, policy: Policy, state: str, allowed: Iterable[str] = ()) -> str:
    """DOT of one case: `state` highlighted, the `allowed` triggers (those the viewer may fire
    now, e.g. the API's allowed triggers for the caller) marked on the arrows that leave it."""
    if state not in {s.name for s in process.states}:
        raise ValueError(f"{process.name} has no state {state}")
    unknown = [t for t in allowed if not process.has_trigger(t)]
    if unknown:
        raise ValueError(f"{process.name} has no trigger {', '.join(unknown)}")
    return to_dot(process, policy, Focus(current=state, marked=frozenset(allowed)))


def role_dot(process: Process, policy: Policy, roles: Iterable[str], label: str = "") -> str:
    """The training diagram seen by `roles`: their steps marked, everyone else's in grey.
    Timers count as the step of nobody (role `system`). `label` names the roles in the title
    (e.g. "Jobcoach"); without it the role ids do."""
    held = frozenset(roles) - {SYSTEM}
    marked = frozenset(t.name for t in process.triggers if t.roles & held)
    title = label or ", ".join(sorted(held))
    return to_dot(process, policy, Focus(marked=marked, fade=True, subtitle=f"Sicht: {title}"))


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
    lines += [f"    {e.source} --> {e.dest} : {_mermaid_text(one_line(e))}" for e in plan(process, policy)]
    finals = [s.name for s in process.states if s.final]
    lines += [f"    {name} --> [*]" for name in finals]
    lines += [f"    note right of {state} : {_mermaid_text(text)}" for state, _, text in children(process)]
    lines.append("    classDef initial stroke-width:3px")
    lines.append("    classDef final fill:#dcefdc,stroke:#2e7d32,stroke-width:4px")
    lines.append(f"    class {process.initial} initial")
    lines += [f"    class {name} final" for name in finals]
    return "\n".join(lines) + "\n"
