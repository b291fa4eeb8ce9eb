"""worker/payload_walk.py: one walk over a workflow task's payloads gives what the SDK's three give."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence

import pytest
import temporalio
import temporalio.bridge.worker as bridge
from temporalio.api.common.v1 import Payload
from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.converter import PayloadCodec
from temporalio.converter._data_converter import _REFERENCE_MARKER_KEY
from temporalio.worker._command_aware_visitor import CommandAwarePayloadVisitor

from runtime.codec import EncryptionCodec
from runtime.temporal import converter_with
from worker import payload_walk


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())


class Marking(PayloadCodec):
    """Deterministic, so two runs can be compared: reverses the data and notes each call's payloads."""

    def __init__(self) -> None:
        self.seen: list[list[bytes]] = []

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.seen.append([p.data for p in payloads])
        return [Payload(metadata={"encoding": b"test/marked"}, data=p.data[::-1]) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        self.seen.append([p.data for p in payloads])
        return [Payload(metadata={"encoding": b"json/plain"}, data=p.data[::-1]) for p in payloads]


def marked(text: str) -> Payload:
    """`plain(text)` as Marking encodes it."""
    return Payload(metadata={"encoding": b"test/marked"}, data=plain(text).data[::-1])


def activation(payload) -> WorkflowActivation:
    """The jobs a Fahrplan workflow sees: start, update, signal, a resolved (local) activity."""
    act = WorkflowActivation(run_id="run-1")
    start = act.jobs.add().initialize_workflow
    start.workflow_type, start.workflow_id = "neuantrag", "neuantrag-1"
    start.arguments.extend([payload("Eingang"), payload("Fakten")])
    start.headers["trace"].CopyFrom(payload("Kopf"))
    update = act.jobs.add().do_update
    update.id, update.name = "u-1", "transition"
    update.input.append(payload("Antrag"))
    act.jobs.add().signal_workflow.input.append(payload("Signal"))
    resolved = act.jobs.add().resolve_activity
    resolved.seq, resolved.is_local = 1, True
    resolved.result.completed.result.CopyFrom(payload("Ergebnis"))
    return act


def completion(payload) -> WorkflowActivationCompletion:
    """The commands a Fahrplan workflow sends: a local activity, an update's answer, the end."""
    done = WorkflowActivationCompletion(run_id="run-1")
    commands = done.successful.commands
    local = commands.add().schedule_local_activity
    local.seq, local.activity_type = 1, "record_transition"
    local.arguments.append(payload("Schritt"))
    answer = commands.add().update_response
    answer.protocol_instance_id = "u-1"
    answer.completed.CopyFrom(payload("Antwort"))
    commands.add().complete_workflow_execution.result.CopyFrom(payload("Ende"))
    return done


@pytest.fixture
def walks(monkeypatch):
    """How often a payload visitor walks a message."""
    counted = {"walks": 0}
    visit = CommandAwarePayloadVisitor.visit

    async def counting(self, fs, root):
        counted["walks"] += 1
        return await visit(self, fs, root)

    monkeypatch.setattr(CommandAwarePayloadVisitor, "visit", counting)
    return counted


async def once_and_thrice(ours, sdk, build, walks, headers: bool):
    """The same message through our walk and the SDK's: (ours, the SDK's) messages, and codecs."""
    ours_codec, theirs_codec = Marking(), Marking()
    mine, theirs = build(), build()
    await ours(mine, converter_with(ours_codec), headers, 4)
    assert walks["walks"] == 1
    await sdk(theirs, converter_with(theirs_codec), headers, 4)
    assert walks["walks"] == 4  # the SDK's own: three walks
    assert mine == theirs
    assert ours_codec.seen == theirs_codec.seen  # the same payloads, in the same order, batched alike
    return mine


@pytest.mark.parametrize("headers", [True, False])
async def test_decoding_once_gives_what_the_sdk_gives(walks, headers):
    decode, sdk = payload_walk.decode_activation, payload_walk.SDK_DECODE
    mine = await once_and_thrice(decode, sdk, functools.partial(activation, marked), walks, headers)
    assert mine.jobs[1].do_update.input[0] == plain("Antrag")


@pytest.mark.parametrize("headers", [True, False])
async def test_encoding_once_gives_what_the_sdk_gives(walks, headers):
    encode, sdk = payload_walk.encode_completion, payload_walk.SDK_ENCODE
    mine = await once_and_thrice(encode, sdk, functools.partial(completion, plain), walks, headers)
    assert mine.successful.commands[0].schedule_local_activity.arguments[0].metadata["encoding"] == b"test/marked"


async def test_encrypted_payloads_come_back_as_they_went():
    """With Fahrplan's codec: what encode_completion seals, decode_activation opens."""
    converter = converter_with(EncryptionCodec({"a": bytes(range(32))}, "a"))
    done = completion(plain)
    await payload_walk.encode_completion(done, converter, True, 4)
    sealed = done.successful.commands[0].schedule_local_activity.arguments[0]
    assert b"Schritt" not in sealed.data
    act = WorkflowActivation(run_id="run-1")
    act.jobs.add().resolve_activity.result.completed.result.CopyFrom(sealed)
    await payload_walk.decode_activation(act, converter, True, 4)
    assert act.jobs[0].resolve_activity.result.completed.result == plain("Schritt")


async def test_an_external_storage_reference_is_refused_as_the_sdk_refuses_it():
    converter = converter_with(Marking())
    marked = Payload(metadata={"encoding": b"json/plain", _REFERENCE_MARKER_KEY: b"true"}, data=b"{}")
    for decode in (payload_walk.decode_activation, payload_walk.SDK_DECODE):
        act = WorkflowActivation(run_id="run-1")
        act.jobs.add().do_update.input.append(marked)
        with pytest.raises(RuntimeError, match="TMPRL1105"):
            await decode(act, converter, True, 4)


async def test_with_external_storage_the_sdk_walks(monkeypatch):
    handed = []

    async def sdk(message, data_converter, headers, limit):
        handed.append(message)

    monkeypatch.setattr(payload_walk, "SDK_DECODE", sdk)
    monkeypatch.setattr(payload_walk, "SDK_ENCODE", sdk)
    converter = converter_with(Marking())
    object.__setattr__(converter, "external_storage", object())  # a frozen dataclass
    act, done = activation(plain), completion(plain)
    await payload_walk.decode_activation(act, converter, True, 4)
    await payload_walk.encode_completion(done, converter, True, 4)
    assert handed == [act, done]


def test_installed_for_the_checked_sdk_only(monkeypatch):
    """A new temporalio keeps its own walks until someone checks them again: this test then fails."""
    try:
        assert temporalio.__version__ in payload_walk.CHECKED, "check the SDK's walks, then add the version"
        assert payload_walk.install()
        assert bridge.decode_activation is payload_walk.decode_activation
        assert bridge.encode_completion is payload_walk.encode_completion
        payload_walk.uninstall()
        monkeypatch.setattr(temporalio, "__version__", "1.99.0")
        assert not payload_walk.install()
        assert bridge.decode_activation is payload_walk.SDK_DECODE
    finally:
        payload_walk.install()
