"""Every declared process, by name."""

from statemachines.gruppencoaching import GRUPPENCOACHING
from statemachines.kooperationsplan import KOOPERATIONSPLAN
from statemachines.meldetermin import MELDETERMIN
from statemachines.minderung import MINDERUNG
from statemachines.neuantrag import NEUANTRAG
from statemachines.rechtskreiswechsel import RECHTSKREISWECHSEL
from statemachines.schlichtung import SCHLICHTUNG
from statemachines.spec import Process

PROCESSES: dict[str, Process] = {
    p.name: p
    for p in (NEUANTRAG, GRUPPENCOACHING, KOOPERATIONSPLAN, SCHLICHTUNG, RECHTSKREISWECHSEL, MELDETERMIN, MINDERUNG)
}


def get_process(name: str) -> Process:
    return PROCESSES[name]
