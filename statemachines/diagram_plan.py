"""What a diagram of a process shows, before any drawing: one arrow per transition and source.

Pure (no I/O); shared by the Mermaid and the Graphviz renderer and by the training
view model, so every picture and page names a step with the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from statemachines.policy import Policy
from statemachines.spec import SYSTEM, Process, Transition

# Plain text, not a clock symbol: no font the set-up installs (DejaVu) has U+23F1, and a
# screen reader reads a word.
TIMER = "Frist:"


@dataclass(frozen=True)
class DrawnEdge:
    """One drawn arrow: one transition from one source state."""

    source: str
    dest: str  # the source itself for an internal transition
    trigger: str
    internal: bool
    label: str
    conditions: str  # "" or e.g. "sonst, wenn …; nicht: …"
    timer: str  # "" or e.g. "Frist: nach 7 Tagen"
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
                    conditions=conditions(process, index, t, source),
                    timer=timer_text(process, policy, t.trigger, source),
                    roles=f"({', '.join(roles)})" if roles else "",
                    index=index,
                )
            )
    return drawn


def edges(process: Process, policy: Policy | None = None) -> set[tuple[str, str, str]]:
    """(source, dest, trigger) of every drawn arrow; an internal transition is a self-loop."""
    return {(e.source, e.dest, e.trigger) for e in plan(process, policy or Policy())}


def conditions(process: Process, index: int, t: Transition, source: str) -> str:
    """The guards of a transition as read from `source`, "sonst" when an earlier one comes first."""
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


def deadline_text(process: Process, policy: Policy, trigger: str, source: str) -> str:
    """When the timer of `source` fires `trigger`: "nach 7 Tagen", or the deadline's label."""
    for d in process.state(source).deadlines:
        if d.trigger == trigger:
            return f"nach {label_for_duration(getattr(policy, d.delay))}" if d.delay is not None else d.label
    return ""


def timer_text(process: Process, policy: Policy, trigger: str, source: str) -> str:
    text = deadline_text(process, policy, trigger, source)
    return f"{TIMER} {text}" if text else ""


def one_line(e: DrawnEdge) -> str:
    parts = ["↻ intern:" if e.internal else "", e.label, e.timer, f"[{e.conditions}]" if e.conditions else "", e.roles]
    return " ".join(p for p in parts if p)
