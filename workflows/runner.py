"""The workflow sandbox Fahrplan's workers use.

The sandbox re-imports every non-passed-through module for each workflow it
instantiates. The declarations (statemachines/) and the `transitions` library
are pure and deterministic and hold no state that a workflow mutates, so they
are imported once and shared: instantiating a case workflow then costs a
fraction of the import time it otherwise would.
"""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSED_THROUGH = ("statemachines", "transitions")


def sandbox_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH))
