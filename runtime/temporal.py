"""The Temporal client with Fahrplan's data converter: the same in worker, API and tests."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

from runtime.settings import Settings
from workflows import search_attributes as sa

DATA_CONVERTER = pydantic_data_converter


def workflow_id(process: str, case_id: str) -> str:
    return f"{process}-{case_id}"


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=DATA_CONVERTER,
        tls=settings.temporal_tls,
        api_key=settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None,
    )


async def register_search_attributes(client: Client, namespace: str) -> None:
    """Register Fahrplan's search attributes; those the server already knows are left alone.

    Added one by one because the time-skipping test server has no
    ListSearchAttributes and refuses a batch that contains a known name.
    """
    for key in sa.ALL:
        request = AddSearchAttributesRequest(
            namespace=namespace,
            search_attributes={key.name: IndexedValueType.ValueType(key.indexed_value_type.value)},
        )
        try:
            await client.operator_service.add_search_attributes(request)
        except RPCError as error:
            if error.status != RPCStatusCode.ALREADY_EXISTS:
                raise
