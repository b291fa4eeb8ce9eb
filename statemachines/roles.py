"""Who may do what, read from the declarations: the role matrix and the read rule.

Pure text and set building (no I/O): runtime/role_matrix.py writes the table into
the README, the API applies `reader_roles` to every read of a case. Nothing here
lists roles per trigger by hand: a trigger's roles are its `Trigger.roles`, a
process's openers its `Process.start_roles`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from statemachines.registry import PROCESSES
from statemachines.spec import SYSTEM, Process

# The team lead reads the cases of every process: supervision of the team's deadlines
# and overdue cases, reassigning any open task, tasks added by hand (README "Role matrix").
SUPERVISOR = "teamleitung"
PARTICIPANT = "teilnehmende"  # reads only the case their token carries, whatever its process
START_MARKER = "<!-- role-matrix:start -->"
END_MARKER = "<!-- role-matrix:end -->"
YES = "✓"


def task_roles(process: Process) -> frozenset[str]:
    """Roles a transition of the process gives a task on the case (its link must open)."""
    return frozenset(task.role for t in process.transitions for task in t.tasks)


def reader_roles(process: Process) -> frozenset[str]:
    """The roles that work on a process and so read its cases, events, letters and plans:
    who may open it, fire any of its triggers or get a task on it; plus the team lead."""
    return (process.start_roles | process.roles | task_roles(process) | {SUPERVISOR}) - {SYSTEM}


def readable_processes(roles: Iterable[str], processes: Mapping[str, Process] = PROCESSES) -> frozenset[str]:
    """Names of the processes whose cases a holder of `roles` may read."""
    held = frozenset(roles)
    return frozenset(name for name, p in processes.items() if held & reader_roles(p))


# --- the Markdown table ----------------------------------------------------------------------


def _system_cell(process: Process, trigger: str) -> str:
    if any(d.trigger == trigger for s in process.states for d in s.deadlines):
        return "Frist (system)"
    if trigger in process.on_child_end.values():
        children = sorted(child for child, t in process.on_child_end.items() if t == trigger)
        return f"Ende {', '.join(children)} (system)"
    return "system"


def _openers(process: Process, processes: Mapping[str, Process]) -> str:
    """Who opens the process besides the roles: a transition of another process."""
    spawning = sorted(
        f"`{t.trigger}` ({p.name})" for p in processes.values() for t in p.transitions
        if any(s.process == process.name for s in t.spawns)
    )
    return ", ".join(dict.fromkeys(spawning))


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def process_table(process: Process, roles: Iterable[str], processes: Mapping[str, Process] = PROCESSES) -> str:
    """One table: a row per trigger (declaration order), a column per role, ✓ where allowed."""
    columns = list(roles)
    lines = [
        f"**{process.label}** (`{process.name}`)",
        "",
        _row(["", *columns, SYSTEM]),
        _row(["---"] * (len(columns) + 2)),
        _row(["Fall eröffnen", *(YES if r in process.start_roles else "" for r in columns),
              _openers(process, processes)]),
    ]
    for t in process.triggers:
        cells = [YES if r in t.roles else "" for r in columns]
        lines.append(_row([f"`{t.name}`", *cells, _system_cell(process, t.name) if SYSTEM in t.roles else ""]))
    readers = reader_roles(process)
    read = [YES if r in readers else "" for r in columns]
    read = ["eigener Fall" if r == PARTICIPANT else cell for r, cell in zip(columns, read, strict=True)]
    lines.append(_row(["*Fall lesen*", *read, ""]))
    return "\n".join(lines)


def role_matrix(roles: Iterable[str], processes: Mapping[str, Process] = PROCESSES) -> str:
    """Every process's table, processes by name."""
    roles = list(roles)
    return "\n\n".join(process_table(processes[name], roles, processes) for name in sorted(processes)) + "\n"


def with_matrix(text: str, matrix: str) -> str:
    """`text` with everything between the markers replaced by `matrix`."""
    head, start, rest = text.partition(START_MARKER)
    _, end, tail = rest.partition(END_MARKER)
    if not start or not end:
        raise ValueError(f"markers {START_MARKER} … {END_MARKER} not found")
    return f"{head}{START_MARKER}\n{matrix}{END_MARKER}{tail}"
