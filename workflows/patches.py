"""`workflow.patched` for one run of a case, with one marker for every patch a new run takes.

The SDK records a marker event and an upsert of `TemporalChangeVersion` (a visibility write) for
each patch id a new run asks, in whichever workflow task first asks it: five markers and five
upserts in the first three tasks of a new neuantrag case. A run that begins under BASELINE takes
every patch in COVERED without asking it, so a new case records one marker. A run begun before
the baseline (or an old history in the replay tests) has no BASELINE marker, and asks each
patch where it always did, so its history replays unchanged.

COVERED is frozen: it names the patches in force when the baseline was made. A patch added later
is asked on its own (`patched(id)` calls `workflow.patched(id)`), because cases that began under
this baseline began before it; a later baseline covers it. BASELINE_2 is that later baseline: a
run that begins under it takes COVERED_2 (COVERED and the patches since) with its one marker; a
run begun under BASELINE has no BASELINE_2 marker and asks the later patches on their own.
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


BASELINE_2 = "baseline-b-2026-12"  # workflow.patched id
COVERED_2 = COVERED | {
    # workflows/effects.py
    "record-transition-local-adopting",
}


class Patches:
    """Asked once when the run starts (in the workflow's init, before any other patch), then
    called as `patched(id)` wherever the code branches on a patch."""

    def __init__(self) -> None:
        if workflow.patched(BASELINE_2):
            self._covered = COVERED_2
        else:
            self._covered = COVERED if workflow.patched(BASELINE) else frozenset()

    def __call__(self, patch_id: str) -> bool:
        if patch_id in self._covered:
            return True
        return workflow.patched(patch_id)
