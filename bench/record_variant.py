"""How the bench's worker runs `record_transition`: `--record local` (default) or `activity`.

New cases record each transition with a local activity that adopts a lost workflow task's step
(workflows/effects.py, activities/lost_tasks.py): one workflow task per transition. Cases begun
before `baseline-b-2026-12` record with a regular activity, scheduled in the history before the
database is written: two workflow tasks and an activity task. `--record activity` measures those:
it answers "not patched" to the patch that made the activity local again, in this process only,
so the workflows' code runs unchanged. The Temporal sandbox re-imports the workflows and would
not see it, so that variant needs unsandboxed workflows. The flag is in bench/flags.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from workflows import effects


@contextlib.contextmanager
def recording(how: str) -> Iterator[None]:
    """While active, new workflows of this process record as `how` says."""
    if how == "local":
        yield
        return
    original = effects.CaseEffects.__init__

    def init(self, process, inp, patched) -> None:
        def unpatched(patch_id: str) -> bool:
            return False if patch_id == effects.RECORD_LOCAL_ADOPTING else patched(patch_id)

        original(self, process, inp, unpatched)

    effects.CaseEffects.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        effects.CaseEffects.__init__ = original  # type: ignore[method-assign]
