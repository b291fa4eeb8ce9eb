"""The Temporal client with Fahrplan's data converter: the same in worker, API and tests.

The data converter is the pydantic converter plus the AES-GCM payload codec
(runtime/codec.py) built from the settings; failure messages and stack traces
are moved into an encoded (so encrypted) attribute as well.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import timedelta
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest, ListWorkflowExecutionsRequest
from temporalio.client import Client, Interceptor
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    EncodingPayloadConverter,
    PayloadCodec,
)
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode

from runtime.codec import EncryptionCodec, codec_from_settings
from runtime.settings import Settings


class SharedPydanticPayloadConverter(PydanticPayloadConverter):
    """The pydantic payload converter, its encoding converters built once per process.

    The SDK instantiates `payload_converter_class` for every workflow activation, twice
    (temporalio 1.35, `_CommandAwareDataConverter.create` in worker/_workflow.py), and each new
    pydantic converter starts with an empty TypeAdapter cache: every payload built its
    TypeAdapter again, about a tenth of the worker's CPU. The converters hold no per-call
    state and the cache is an lru_cache, so all instances can share one set.
    """

    _shared: tuple[EncodingPayloadConverter, ...] | None = None

    def __init__(self) -> None:
        shared = SharedPydanticPayloadConverter._shared
        if shared is None:
            super().__init__()
            SharedPydanticPayloadConverter._shared = tuple(self.converters.values())
        else:
            CompositePayloadConverter.__init__(self, *shared)


def converter_with(codec: PayloadCodec) -> DataConverter:
    return DataConverter(
        payload_converter_class=SharedPydanticPayloadConverter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def data_converter(settings: Settings) -> DataConverter:
    """The converter of worker, API and `fahrplan up`: keys from the settings (see runtime/codec.py)."""
    return converter_with(codec_from_settings(settings))


# Tests only (tests/conftest.py, recorded histories): a fixed, public key that protects nothing.
# Worker and API never use it; they call data_converter(settings).
TEST_KEY_ID = "test-nicht-geheim"
TEST_KEY = hashlib.sha256(b"fahrplan test key, not secret").digest()
DATA_CONVERTER = converter_with(EncryptionCodec({TEST_KEY_ID: TEST_KEY}, TEST_KEY_ID))


def workflow_id(process: str, case_id: str) -> str:
    return f"{process}-{case_id}"


async def connect(
    settings: Settings,
    converter: DataConverter | None = None,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    """`runtime`: e.g. one exporting the SDK's metrics (runtime/metrics.py); `interceptors`: tracing."""
    return await Client.connect(
        settings.temporal_address,
        runtime=runtime,
        interceptors=interceptors,
        namespace=settings.temporal_namespace,
        data_converter=converter or data_converter(settings),
        tls=settings.temporal_tls,
        api_key=settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None,
    )


async def register_search_attributes(client: Client, namespace: str, keys: Iterable[SearchAttributeKey]) -> None:
    """Register search attributes (Fahrplan's: `workflows.search_attributes.ALL`); those the server
    already knows are left alone. The caller names them, so runtime depends on nothing above it.

    Added one by one because the time-skipping test server has no
    ListSearchAttributes and refuses a batch that contains a known name.
    """
    for key in keys:
        request = AddSearchAttributesRequest(
            namespace=namespace,
            search_attributes={key.name: IndexedValueType.ValueType(key.indexed_value_type.value)},
        )
        try:
            await client.operator_service.add_search_attributes(request)
        except RPCError as error:
            if error.status != RPCStatusCode.ALREADY_EXISTS:
                raise


async def raw_status(client: Client, wid: str, timeout: float = 5.0) -> int | None:
    """The workflow's execution status as Temporal's raw number, None when there is no such workflow.

    Not `handle.describe()`: temporalio 1.35's WorkflowExecutionStatus has no member for the
    server's PAUSED (8), so describing (or querying) a paused workflow raises ValueError.
    """
    described = await _describe_raw(client, wid, timeout)
    return None if described is None else int(described.workflow_execution_info.status)


async def current_run_id(client: Client, wid: str, timeout: float = 5.0) -> str | None:
    """The id of the workflow's current run (read raw, as `raw_status`), None when there is none."""
    described = await _describe_raw(client, wid, timeout)
    return None if described is None else described.workflow_execution_info.execution.run_id or None


async def open_workflows(client: Client, query: str, page_size: int = 1000) -> AsyncIterator[tuple[str, int, Any]]:
    """The open (running or paused) workflows `query` matches (listed_workflows)."""
    async for listed in listed_workflows(client, f"({query}) AND CloseTime IS NULL", page_size):
        yield listed


async def listed_workflows(client: Client, query: str, page_size: int = 1000) -> AsyncIterator[tuple[str, int, Any]]:
    """The workflow runs `query` matches: (workflow id, raw status, raw search attributes) each,
    page by page. Read raw, as `raw_status`: the SDK's `list_workflows` raises ValueError on a
    paused workflow's status."""
    request = ListWorkflowExecutionsRequest(namespace=client.namespace, page_size=page_size, query=query)
    while True:
        page = await client.workflow_service.list_workflow_executions(request)
        for execution in page.executions:
            yield execution.execution.workflow_id, int(execution.status), execution.search_attributes
        if not page.next_page_token:
            return
        request.next_page_token = page.next_page_token


async def _describe_raw(client: Client, wid: str, timeout: float):
    request = DescribeWorkflowExecutionRequest(namespace=client.namespace, execution=WorkflowExecution(workflow_id=wid))
    try:
        return await client.workflow_service.describe_workflow_execution(request, timeout=timedelta(seconds=timeout))
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
