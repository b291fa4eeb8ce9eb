"""The Temporal client with Fahrplan's data converter: the same in worker, API and tests.

The data converter is the pydantic converter plus the AES-GCM payload codec
(runtime/codec.py) built from the settings; failure messages and stack traces
are moved into an encoded (so encrypted) attribute as well.
"""

from __future__ import annotations

import hashlib

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec
from temporalio.service import RPCError, RPCStatusCode

from runtime.codec import EncryptionCodec, codec_from_settings
from runtime.settings import Settings
from workflows import search_attributes as sa


def converter_with(codec: PayloadCodec) -> DataConverter:
    return DataConverter(
        payload_converter_class=PydanticPayloadConverter,
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


async def connect(settings: Settings, converter: DataConverter | None = None) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=converter or data_converter(settings),
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
