"""Who may do what: the role names, the permissions that are not a trigger's, the read rule
and the role matrix, read from the declarations.

Pure text and set building (no I/O): runtime/role_matrix.py writes the matrix into the README,
the API applies `reader_roles` to every read of a case and the `Permission`s below to what is
not a transition. A trigger's roles are its `Trigger.roles`, a process's openers its
`Process.start_roles`; nothing here repeats them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from statemachines.spec import SYSTEM, Process

# --- the roles -------------------------------------------------------------------------------
# Their order is the order of the role matrix's columns.
EGS = "egs"
JOBCOACH = "jobcoach"
IFK = "ifk"
IFK_REHA = "ifk_reha"
LEISTUNG = "leistung"
TEAMLEITUNG = "teamleitung"
PARTICIPANT = "teilnehmende"  # in group coaching (R22): reads and books only for the case their token carries
SCHLICHTUNGSSTELLE = "schlichtungsstelle"
ROLES = (EGS, JOBCOACH, IFK, IFK_REHA, LEISTUNG, TEAMLEITUNG, PARTICIPANT, SCHLICHTUNGSSTELLE)
STAFF_ROLES = tuple(r for r in ROLES if r != PARTICIPANT)
LABELS = {  # German, for letters and pages
    EGS: "Eingangszone (EGS)",
    JOBCOACH: "Jobcoach",
    IFK: "IFK",
    IFK_REHA: "IFK-Reha",
    LEISTUNG: "Leistungsabteilung",
    TEAMLEITUNG: "Teamleitung",
    SCHLICHTUNGSSTELLE: "Schlichtungsstelle",
    PARTICIPANT: "Teilnehmende",
    SYSTEM: "System",
}
# The team lead reads the cases of every process: supervision of the team's deadlines
# and overdue cases, reassigning any open task, tasks added by hand (README "Role matrix").
SUPERVISOR = TEAMLEITUNG


# --- permissions beside the triggers ---------------------------------------------------------


@dataclass(frozen=True)
class Permission:
    """Something a role may do that is not firing a trigger (a trigger's roles are its own)."""

    name: str
    label: str  # German, a row of the role matrix
    roles: frozenset[str]


PLAN_SESSIONS = Permission("sitzungen_planen", "Gruppensitzungen planen (R20)", frozenset({JOBCOACH, TEAMLEITUNG}))
DECIDE_SESSIONS = Permission(
    "sitzungen_entscheiden", "Über zu kleine Gruppensitzungen entscheiden (R21)", frozenset({JOBCOACH, TEAMLEITUNG})
)
BOOK_FOR_OTHERS = Permission(
    "fuer_andere_buchen", "Sitzungsplätze für einen Fall buchen und stornieren", frozenset({JOBCOACH, TEAMLEITUNG})
)
RECORD_ATTENDANCE = Permission("anwesenheit", "Anwesenheit in Gruppensitzungen erfassen", frozenset({JOBCOACH}))
MANAGE_INFO_EVENTS = Permission(
    "infoveranstaltungen", "Infoveranstaltungen anlegen, ändern, absagen (R31)", frozenset({TEAMLEITUNG})
)
ADD_TASKS = Permission("aufgaben_anlegen", "Aufgaben von Hand anlegen", frozenset({TEAMLEITUNG}))
REASSIGN_ANY_TASK = Permission("aufgaben_umverteilen", "Jede offene Aufgabe neu zuweisen", frozenset({TEAMLEITUNG}))
ERASE = Permission("loeschen", "Personendaten löschen (Art. 17 DSGVO)", frozenset({TEAMLEITUNG}))
GRANT_PARTICIPANT_ACCESS = Permission(
    "teilnehmendenzugang", "Teilnehmendenzugang zu einem Fall ausstellen und widerrufen", frozenset({JOBCOACH, IFK})
)
DECODE_PAYLOADS = Permission("codec", "Temporal-Nutzdaten entschlüsseln (Codec)", frozenset({TEAMLEITUNG}))
# R28: the Jobcoaches act as Arbeitgeberservice; the IFK read the contacts (labour-market advice).
MANAGE_AGS = Permission(
    "arbeitgeberservice",
    "Arbeitgeber und Netzwerkpartner pflegen, Gespräche und AGS-Aufgaben erfassen (R28)",
    frozenset({JOBCOACH, TEAMLEITUNG}),
)
READ_AGS = Permission(
    "arbeitgeber_lesen",
    "Arbeitgeber, Netzwerkpartner und Gespräche mit ihnen lesen (R28)",
    frozenset({JOBCOACH, TEAMLEITUNG, IFK, IFK_REHA}),
)
PERMISSIONS = (
    PLAN_SESSIONS,
    DECIDE_SESSIONS,
    BOOK_FOR_OTHERS,
    RECORD_ATTENDANCE,
    MANAGE_INFO_EVENTS,
    ADD_TASKS,
    REASSIGN_ANY_TASK,
    ERASE,
    GRANT_PARTICIPANT_ACCESS,
    DECODE_PAYLOADS,
    MANAGE_AGS,
    READ_AGS,
)


# --- reading ---------------------------------------------------------------------------------


def _processes() -> Mapping[str, Process]:
    # Imported here, not above: the process modules import their role names from this module.
    from statemachines.registry import PROCESSES

    return PROCESSES


def task_roles(process: Process) -> frozenset[str]:
    """Roles a transition of the process gives a task on the case (its link must open)."""
    return frozenset(task.role for t in process.transitions for task in t.tasks)


def reader_roles(process: Process) -> frozenset[str]:
    """The roles that work on a process and so read its cases, events, letters and plans:
    who may open it, fire any of its triggers or get a task on it; plus the team lead."""
    return (process.start_roles | process.roles | task_roles(process) | {SUPERVISOR}) - {SYSTEM}


_READABLE: dict[frozenset[str], frozenset[str]] = {}  # per set of roles, for the registry (never changed)


def readable_processes(roles: Iterable[str], processes: Mapping[str, Process] | None = None) -> frozenset[str]:
    """Names of the processes whose cases a holder of `roles` may read (asked on every request)."""
    held = frozenset(roles)
    if processes is None and held in _READABLE:
        return _READABLE[held]
    found = frozenset(name for name, p in (processes or _processes()).items() if held & reader_roles(p))
    if processes is None:
        _READABLE[held] = found
    return found


# --- the Markdown table ----------------------------------------------------------------------

START_MARKER = "<!-- role-matrix:start -->"
END_MARKER = "<!-- role-matrix:end -->"
YES = "✓"


def _system_cell(process: Process, trigger: str) -> str:
    if any(d.trigger == trigger for s in process.states for d in s.deadlines):
        return "Frist (system)"
    if trigger in process.on_child_end.values():
        children = sorted(child for child, t in process.on_child_end.items() if t == trigger)
        return f"Ende {', '.join(children)} (system)"
    return SYSTEM


def _openers(process: Process, processes: Mapping[str, Process]) -> str:
    """Who opens the process besides the roles: a transition of another process."""
    spawning = sorted(
        f"`{t.trigger}` ({p.name})"
        for p in processes.values()
        for t in p.transitions
        if any(s.process == process.name for s in t.spawns)
    )
    return ", ".join(dict.fromkeys(spawning))


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def process_table(process: Process, roles: Iterable[str], processes: Mapping[str, Process] | None = None) -> str:
    """One table: a row per trigger (declaration order), a column per role, ✓ where allowed."""
    processes = processes or _processes()
    columns = list(roles)
    lines = [
        f"**{process.label}** (`{process.name}`)",
        "",
        _row(["", *columns, SYSTEM]),
        _row(["---"] * (len(columns) + 2)),
        _row(
            ["Fall eröffnen", *(YES if r in process.start_roles else "" for r in columns), _openers(process, processes)]
        ),
    ]
    for t in process.triggers:
        cells = [YES if r in t.roles else "" for r in columns]
        # A process variant (R61) exists only under the regimes that include it (README "Legal regimes").
        name = f"`{t.name}` (Variante `{t.variante}`)" if t.variante else f"`{t.name}`"
        lines.append(_row([name, *cells, _system_cell(process, t.name) if SYSTEM in t.roles else ""]))
    readers = reader_roles(process)
    read = [YES if r in readers else "" for r in columns]
    read = ["eigener Fall" if r == PARTICIPANT else cell for r, cell in zip(columns, read, strict=True)]
    lines.append(_row(["*Fall lesen*", *read, ""]))
    return "\n".join(lines)


def permission_table(roles: Iterable[str], permissions: Iterable[Permission] = PERMISSIONS) -> str:
    """The permissions beside the triggers: a row each, a column per role."""
    columns = list(roles)
    lines = ["**Weitere Rechte** (nicht an einen Auslöser gebunden)", "", _row(["", *columns])]
    lines.append(_row(["---"] * (len(columns) + 1)))
    for p in permissions:
        lines.append(_row([f"{p.label} (`{p.name}`)", *(YES if r in p.roles else "" for r in columns)]))
    return "\n".join(lines)


def role_matrix(roles: Iterable[str], processes: Mapping[str, Process] | None = None) -> str:
    """Every process's table, processes by name, then the permissions beside the triggers."""
    processes = processes or _processes()
    roles = list(roles)
    tables = [process_table(processes[name], roles, processes) for name in sorted(processes)]
    return "\n\n".join([*tables, permission_table(roles)]) + "\n"


def with_matrix(text: str, matrix: str) -> str:
    """`text` with everything between the markers replaced by `matrix`."""
    head, start, rest = text.partition(START_MARKER)
    _, end, tail = rest.partition(END_MARKER)
    if not start or not end:
        raise ValueError(f"markers {START_MARKER} … {END_MARKER} not found")
    return f"{head}{START_MARKER}\n{matrix}{END_MARKER}{tail}"
