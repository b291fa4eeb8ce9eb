"""One walk over a workflow task's payloads instead of three.

temporalio 1.35 walks every workflow activation three times on its way in (external-storage
references, external-storage retrieval, then the payload codec) and every completion three times
on its way out (codec, storage, references). Each walk is a generated visitor that awaits a
coroutine for every nested message, on the worker's event loop. Fahrplan configures no external
storage, so two of the three walks change nothing; a transition's two activations and two
completions took 0.34 ms of the event loop's time with them and take 0.11 ms in one walk
(docs/performance-log.md, "2026-12-06, fourth session").

`install()` replaces the SDK's two module functions (the workflow worker calls them through the
module, `temporalio.bridge.worker`) with ones that walk once and apply the same three steps, in
the SDK's order, to each payload sequence they find. Every step is the SDK's own method of the
(command-aware) data converter, so what each payload becomes, and every error, is the same. With
external storage configured, they hand over to the SDK's functions (its bounded concurrency and
metrics need the separate walk). Only the SDK versions the three walks were checked in (`CHECKED`)
are patched; another version keeps its own walks, and tests/test_payload_walk.py fails on it.
"""

from __future__ import annotations

import logging

import temporalio
import temporalio.bridge.worker as bridge
from temporalio.converter._extstore import StorageOperationMetrics
from temporalio.worker._command_aware_visitor import CommandAwarePayloadVisitor

log = logging.getLogger("fahrplan.worker")

CHECKED = ("1.35.0",)  # versions whose decode_activation/encode_completion walk three times as described
SDK_DECODE, SDK_ENCODE = bridge.decode_activation, bridge.encode_completion


async def decode_activation(
    activation, data_converter, decode_headers: bool, storage_concurrency_limit: int
) -> StorageOperationMetrics:
    """As the SDK's: references, retrieval, codec; one walk when there is no external storage."""
    dc = data_converter
    steps = (dc._decode_reference_payload_sequence, dc._external_retrieve_payload_sequence, dc._decode_payload_sequence)
    return await _once(SDK_DECODE, activation, dc, decode_headers, storage_concurrency_limit, steps)


async def encode_completion(
    completion, data_converter, encode_headers: bool, storage_concurrency_limit: int
) -> StorageOperationMetrics:
    """As the SDK's: codec, storage, references; one walk when there is no external storage."""
    dc = data_converter
    steps = (dc._encode_payload_sequence, dc._external_store_payload_sequence, dc._encode_reference_payload_sequence)
    return await _once(SDK_ENCODE, completion, dc, encode_headers, storage_concurrency_limit, steps)


async def _once(sdk, message, data_converter, headers: bool, limit: int, steps) -> StorageOperationMetrics:
    """The steps, in order, on each payload sequence of one walk; the SDK's `sdk` with external storage."""
    if data_converter.external_storage is not None:
        return await sdk(message, data_converter, headers, limit)

    async def each(payloads):
        for step in steps:
            payloads = await step(payloads)
        return payloads

    visitor = CommandAwarePayloadVisitor(skip_search_attributes=True, skip_headers=not headers)
    await visitor.visit(bridge._Visitor(each), message)
    return StorageOperationMetrics()


def install() -> bool:
    """Patch the SDK (idempotent); False, and the SDK's walks, on a version not in CHECKED."""
    if temporalio.__version__ not in CHECKED:
        log.info("temporalio %s: its payload walks are kept (worker/payload_walk.py)", temporalio.__version__)
        return False
    bridge.decode_activation, bridge.encode_completion = decode_activation, encode_completion
    return True


def uninstall() -> None:
    """The SDK's own walks again (for tests that compare both)."""
    bridge.decode_activation, bridge.encode_completion = SDK_DECODE, SDK_ENCODE
