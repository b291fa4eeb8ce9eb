"""The readable "current details" shown on a case in the Temporal UI (German, no personal data)."""

from __future__ import annotations

from statemachines.regimes import Regime
from statemachines.spec import Process
from workflows.messages import DeadlineInfo


def _when(d) -> str:
    return d.strftime("%d.%m.%Y %H:%M UTC")


def current_details(
    process: Process,
    state: str,
    deadlines: list[DeadlineInfo],
    overdue: bool,
    allowed: list[str],
    regime: Regime | None = None,
) -> str:
    lines = [f"**{process.label}** · Zustand: **{process.state(state).label}** (`{state}`)"]
    if regime is not None:
        lines.append(f"Rechtsstand: {regime.label or regime.name} (`{regime.name}`)")
    for d in deadlines:
        lines.append(f"- Frist {_when(d.due)}: {process.trigger(d.trigger).label}")
    if overdue:
        lines.append("- **Überfällig**")
    if allowed:
        lines.append("Mögliche Schritte: " + ", ".join(process.trigger(t).label for t in allowed))
    return "\n".join(lines)
