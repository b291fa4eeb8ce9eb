"""Every declared process, by name."""

from statemachines.neuantrag import NEUANTRAG
from statemachines.spec import Process

PROCESSES: dict[str, Process] = {p.name: p for p in (NEUANTRAG,)}


def get_process(name: str) -> Process:
    return PROCESSES[name]
