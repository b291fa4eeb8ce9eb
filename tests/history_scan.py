"""Everything Temporal keeps about a workflow, as bytes to search: every history event (raw,
and with every payload decrypted), the description (search attributes, memo, summary and
details, pending activities) and the current details the UI shows."""

from __future__ import annotations

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.converter import PayloadCodec

from tests.cases import current_details, describe_raw


async def decode_all(message: Message, codec: PayloadCodec) -> None:
    """Decrypt every Payload anywhere inside `message`, in place (maps and lists included)."""
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        if field.message_type.GetOptions().map_entry:
            items = list(value.values())
        elif isinstance(value, Message):
            items = [value]
        else:
            items = list(value)
        for item in items:
            if isinstance(item, Payload):
                item.CopyFrom((await codec.decode([item]))[0])
            elif isinstance(item, Message):
                await decode_all(item, codec)


async def decoded(message: Message, codec: PayloadCodec) -> bytes:
    copy = type(message)()
    copy.CopyFrom(message)
    await decode_all(copy, codec)
    return copy.SerializeToString()


async def history_bytes(client: Client, workflow_id: str, *, decode: bool = True) -> bytes:
    """All events of the workflow's latest run; payloads decrypted unless decode=False."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    codec = client.data_converter.payload_codec
    if not decode:
        return b"".join(e.SerializeToString() for e in history.events)
    return b"".join([await decoded(e, codec) for e in history.events])


async def everything(client: Client, workflow_id: str) -> list[bytes]:
    """What Temporal holds about the workflow, each part raw and decrypted."""
    codec = client.data_converter.payload_codec
    handle = client.get_workflow_handle(workflow_id)
    description = await describe_raw(handle)
    parts = [
        await history_bytes(client, workflow_id, decode=False),
        await history_bytes(client, workflow_id),
        description.SerializeToString(),
        await decoded(description, codec),
    ]
    try:
        parts.append((await current_details(handle)).encode())
    except Exception:  # noqa: BLE001 - e.g. a closed gc_sitzung has no details query left to answer
        pass
    return parts


def hits(markers: tuple[str, ...], blobs: list[bytes]) -> set[str]:
    """The markers found anywhere in the blobs (case-insensitive)."""
    text = b"\n".join(blobs).lower()
    return {m for m in markers if m.lower().encode() in text}
