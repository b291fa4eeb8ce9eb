"""The steps whose workflow task tests/support_workflows.py's LosesATaskNeuantrag fails once:
(case id, sequence). The workflow runs unsandboxed, so the test and the workflow share it."""

from __future__ import annotations

ARMED: set[tuple[str, int]] = set()
