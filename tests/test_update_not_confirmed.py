"""A transition whose update Temporal does not answer in time is a 503 that says what to do."""

from __future__ import annotations

import asyncio

import pytest

from api.usecases import case_workflows
from statemachines.refusals import DomainError, Refusal
from workflows.messages import TransitionRequest


class _SilentHandle:
    async def execute_update(self, *args, **kwargs):
        await asyncio.sleep(10)


class _Client:
    def get_workflow_handle(self, wid):
        return _SilentHandle()


async def test_an_unanswered_update_asks_for_a_retry_with_the_same_key_in_plain_german():
    request = TransitionRequest(trigger="an_clearing_uebergeben", data={}, role="egs", request_id="r-1")
    with pytest.raises(DomainError) as raised:
        await case_workflows.send(_Client(), "neuantrag-x", request, timeout=0.01)
    assert raised.value.kind == Refusal.UNAVAILABLE
    assert raised.value.detail == (
        "Temporal hat den Schritt nicht bestätigt. Bitte mit demselben Idempotency-Key erneut versuchen."
    )
