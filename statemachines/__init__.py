"""The domain core: every process declared once, as data.

Pure and deterministic: imports no I/O library and nothing else of the project,
so the workflows (inside the Temporal sandbox), the API and the diagram renderer
all read the very same definitions.
"""

from statemachines.engine import CaseMachine, NotAllowed, Step
from statemachines.policy import Policy
from statemachines.registry import PROCESSES, get_process
from statemachines.spec import Deadline, Guard, Process, State, TaskSpec, Transition, Trigger

__all__ = [
    "PROCESSES",
    "CaseMachine",
    "Deadline",
    "Guard",
    "NotAllowed",
    "Policy",
    "Process",
    "State",
    "Step",
    "TaskSpec",
    "Transition",
    "Trigger",
    "get_process",
]
