"""The bench's bare path (bench/bare.py): its variants do in the history what the README says."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from temporalio.client import Client

from bench import bare


def test_variant_parse_reads_each_option_and_refuses_unknown_ones():
    assert bare.Variant.parse("") == bare.PLAIN
    assert bare.Variant.parse("pad=800, search-attributes,state-changes=2") == bare.Variant(800, True, 2)
    assert str(bare.Variant(pad=10)) == "pad=10" and str(bare.PLAIN) == "plain"
    for wrong in ("pad", "pad=x", "state-changes=-1", "sandbox", "search-attributes=1"):
        with pytest.raises(ValueError, match="unknown bare variant"):
            bare.Variant.parse(wrong)


async def _events(client: Client, variant: bare.Variant, updates: int) -> tuple[Counter, int]:
    queue = f"bare-test-{uuid.uuid4().hex[:8]}"
    async with bare.bare_worker(client, queue, sandboxed=True):
        handle = await bare.start_case(client, queue, variant)
        pad = "x" * variant.pad
        for sequence in range(updates):
            await (bare.fire_padded(handle, sequence, pad) if pad else bare.fire(handle, sequence))
        await handle.signal(bare.BareCase.finish)
        await handle.result()
    history = await handle.fetch_history()
    kinds = Counter(event.WhichOneof("attributes").removesuffix("_event_attributes") for event in history.events)
    return kinds, history.events[0].workflow_execution_started_event_attributes.search_attributes.ByteSize()


async def test_plain_bare_path_runs_one_activity_per_update_and_nothing_else(client):
    kinds, started_attributes = await _events(client, bare.PLAIN, 4)
    assert kinds["activity_task_scheduled"] == 4 and kinds["workflow_execution_update_completed"] == 4
    assert not kinds["upsert_workflow_search_attributes"] and not kinds["timer_started"]
    assert started_attributes == 0


async def test_variants_add_search_attributes_state_changes_and_payload(client):
    kinds, started_attributes = await _events(client, bare.Variant(pad=100, search_attributes=True, state_changes=2), 4)
    assert started_attributes > 0  # the case's search attributes from the start
    assert kinds["upsert_workflow_search_attributes"] == 2  # the first two updates change the state
    assert kinds["timer_started"] == 1 and kinds["timer_canceled"] == 1  # a deadline entered, then left
    assert kinds["workflow_execution_update_completed"] == 4
