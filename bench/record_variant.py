"""An experiment, not a setting of Fahrplan: `record_transition` as a local activity.

Fahrplan records each transition with a regular activity (workflows/effects.py): its scheduling
is in the workflow's history before the database is written. A local activity writes inside the
workflow task instead and costs the server three RPCs and three mutable-state writes fewer per
transition, but a restarting server can lose that task after the write, and the workflow then
decides afresh: the audit trail keeps an event of a decision the server never persisted (README,
"Faults and recovery"). `--record local` measures what that guarantee costs; cases written this
way must never reach a Jobcenter.

The flag is in bench/flags.py. It works by answering "not patched" to the patch that made the activity regular, in this
process only, so the workflows' code runs unchanged; the Temporal sandbox re-imports the
workflows and would not see it, so the variant needs unsandboxed workflows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from workflows import effects


@contextlib.contextmanager
def recording(how: str) -> Iterator[None]:
    """While active, new workflows of this process record as `how` says."""
    if how == "activity":
        yield
        return
    original = effects.CaseEffects.__init__

    def init(self, process, inp, patched) -> None:
        def unpatched(patch_id: str) -> bool:
            return False if patch_id == effects.RECORD_AS_ACTIVITY else patched(patch_id)

        original(self, process, inp, unpatched)

    effects.CaseEffects.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        effects.CaseEffects.__init__ = original  # type: ignore[method-assign]
