"""`workflow.patched` for one run of a case, with one marker for every patch a new run takes.

The SDK records a marker event and an upsert of `TemporalChangeVersion` (a visibility write) for
each patch id a new run asks, in whichever workflow task first asks it: five markers and five
upserts in the first three tasks of a new neuantrag case. A run that begins under BASELINE takes
every patch in COVERED without asking it, so a new case records one marker. A run begun before
the baseline (or an old history in the replay tests) has no BASELINE marker, and asks each
patch where it always did, so its history replays unchanged.

COVERED is frozen: it names the patches in force when the baseline was made. A patch added later
is asked on its own (`patched(id)` calls `workflow.patched(id)`), because cases that began under
this baseline began before it; a later baseline may cover it.
"""

from __future__ import annotations

from temporalio import workflow

BASELINE = "baseline-2026-12"  # workflow.patched id
COVERED = frozenset(
    {
        # workflows/effects.py
        "record-transition-as-activity",
        "publish-changes-only",
        "publish-regime",
        "check-child-end",
        # workflows/host.py
        "overdue-until-done",
        "every-child-reports",
        # PolicyPatch ids of the processes (statemachines/)
        "r8-r11-wiedervorlage-termin-kontakt",
        "r30-veranstaltung-drei-monate-vor-ende",
        "r32-frist-ab-veranstaltung",
        "r42-ueberpruefung-frist",
        "r46-gemeldete-absprache-ueberpruefen",
        # Spawn patches (statemachines/kooperationsplan.py)
        "kp-pflichtverletzung-minderung",
    }
)


class Patches:
    """Asked once when the run starts (in the workflow's init, before any other patch), then
    called as `patched(id)` wherever the code branches on a patch."""

    def __init__(self) -> None:
        self._baseline = workflow.patched(BASELINE)

    def __call__(self, patch_id: str) -> bool:
        if self._baseline and patch_id in COVERED:
            return True
        return workflow.patched(patch_id)
