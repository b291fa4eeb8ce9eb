"""How Fahrplan's workers run workflow code: in the Temporal sandbox, or without it.

The sandbox re-imports every non-passed-through module for each workflow it instantiates
and proxies restricted calls (time, randomness, I/O) so that a nondeterministic call fails
loudly. That safety costs CPU on every workflow task: each payload of an activation and a
completion is handed into the sandbox to find its serialization context (about a quarter
of the worker's CPU per transition, bench/transitions.py), and each cached workflow keeps
its own copy of the workflow modules.

Fahrplan therefore runs the sandbox where mistakes are caught and skips it where cases run:
- every test worker (tests/conftest.py `new_worker`) and the replay tests use the sandbox,
  so a workflow change that calls something nondeterministic fails CI;
- the worker of `fahrplan worker` / `fahrplan up` runs unsandboxed unless
  FAHRPLAN_WORKFLOW_SANDBOX=true. Workflow modules hold no mutable module state, so sharing
  them between workflows changes nothing but the cost.

The declarations (statemachines/) and the `transitions` library are pure and deterministic
and are passed through the sandbox: imported once and shared.
"""

from __future__ import annotations

from temporalio.worker import UnsandboxedWorkflowRunner, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

# runtime.signing holds the keys the worker installs for the update validators: one module
# object for the whole process, never re-imported per workflow.
# opentelemetry: the tracing interceptor's spans inside workflows use the process's provider (runtime/tracing.py).
PASSED_THROUGH = ("statemachines", "transitions", "runtime.signing", "opentelemetry")


def sandbox_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH))


def workflow_runner(sandboxed: bool) -> WorkflowRunner:
    """The runner of a production worker (FAHRPLAN_WORKFLOW_SANDBOX)."""
    return sandbox_runner() if sandboxed else UnsandboxedWorkflowRunner()
