"""What the official `openai` SDK accepts over a call (issue 14), measured, next to what the check says.

The SDK builds its objects without validating them. Each case here shows, with the real SDK
against the real mock, that the SDK takes the defect without raising, so the app (and the voice
platform built on it) is left to trip over it, and that the check names it with the severity the
rules give: an error where the platform would fail, a warning where the SDK's tolerance makes the
defect survivable (the fields it ignores), info for reasoning that is only silence.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import openai
import pytest

from workbench.checks.runner import run_check
from workbench.mock import MockConfig, MockServer
from workbench.target import Target

pytestmark = pytest.mark.usefixtures("no_proxy")
TOOLS = [{"type": "function", "function": {"name": "end_call", "parameters": {"type": "object", "properties": {}}}}]
ASK = [{"role": "user", "content": "That's all, thank you. Please end the call now."}]


@pytest.fixture(scope="module")
def mock():
    handle = MockServer.start_in_thread(MockConfig(port=0))
    yield handle
    handle.stop()


def sdk_stream(base_url: str, **create: Any) -> list[Any]:
    """Every chunk the SDK yields for a streamed request (it raises on nothing asserted here)."""
    client = openai.OpenAI(base_url=base_url, api_key="sk-unused", max_retries=0, timeout=5)
    return list(client.chat.completions.create(model="mock-model", stream=True, **create))


def tool_call_of(chunks: list[Any]) -> tuple[str | None, str | None, str, str | None]:
    """(id, name, joined arguments, last finish_reason) as an app rebuilds the call from the SDK's chunks."""
    ident = name = None
    arguments = ""
    finish = None
    for chunk in chunks:
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        for call in choice.delta.tool_calls or []:
            ident = ident or call.id
            name = name or (call.function.name if call.function else None)
            arguments += (call.function.arguments or "") if call.function else ""
        finish = choice.finish_reason or finish
    return ident, name, arguments, finish


async def checked(mock, fault: str, platform: str = "openai") -> set[tuple[str, str]]:
    mock.server.set_fault(fault)
    try:
        report = await run_check(Target(mock.base_url, "mock-model"), platform, timeout=3)
    finally:
        mock.server.set_fault(None)
    return {(f.id, f.severity) for f in report.findings}


async def in_fault(mock, fault: str, **create: Any) -> list[Any]:
    mock.server.set_fault(fault)
    try:
        return await asyncio.to_thread(sdk_stream, mock.base_url, **create)
    finally:
        mock.server.set_fault(None)


async def test_a_tool_call_ending_with_stop_passes_the_sdk_and_is_an_error(mock) -> None:
    ident, name, _arguments, finish = tool_call_of(await in_fault(mock, "tool-call-stop", messages=ASK, tools=TOOLS))
    assert (name, finish) == ("end_call", "stop") and ident  # no error: an app waiting for "tool_calls" never runs it
    assert ("tools.finish-reason-wrong", "error") in await checked(mock, "tool-call-stop")


async def test_a_tool_call_without_id_passes_the_sdk_and_is_an_error(mock) -> None:
    ident, name, _, finish = tool_call_of(await in_fault(mock, "tool-call-no-id", messages=ASK, tools=TOOLS))
    assert ident is None and name == "end_call" and finish == "tool_calls"  # the result cannot be paired
    assert ("tools.id-missing", "error") in await checked(mock, "tool-call-no-id")


async def test_arguments_that_do_not_join_into_json_pass_the_sdk_and_are_an_error(mock) -> None:
    _, _, arguments, _ = tool_call_of(await in_fault(mock, "tool-arguments-not-json", messages=ASK, tools=TOOLS))
    with pytest.raises(json.JSONDecodeError):
        json.loads(arguments)  # what the app (Pipecat: base_llm.py) does next
    assert ("tools.arguments-not-json", "error") in await checked(mock, "tool-arguments-not-json")


async def test_reasoning_deltas_pass_the_sdk_as_silence_and_are_info(mock) -> None:
    chunks = await in_fault(mock, "reasoning-content", messages=[{"role": "user", "content": "hi"}])
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    reasoning = "".join(getattr(d, "reasoning_content", None) or "" for d in deltas)  # an extra field, kept readable
    assert reasoning.startswith("Okay, ")
    first_text = next(i for i, d in enumerate(deltas) if d.content)
    assert all(getattr(d, "reasoning_content", None) is None for d in deltas[first_text:])
    found = await checked(mock, "reasoning-content")
    assert ("latency.reasoning-silence", "info") in found and not {f for f in found if f[1] == "error"}


async def test_think_text_passes_the_sdk_as_content_and_is_an_error(mock) -> None:
    chunks = await in_fault(mock, "reasoning-preamble", messages=[{"role": "user", "content": "hi"}])
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("<think>")  # the app speaks it unless it strips it
    assert ("latency.reasoning-spoken", "error") in await checked(mock, "reasoning-preamble")


async def test_fields_the_sdk_tolerates_are_warnings_streamed_or_not(mock) -> None:
    chunks = await in_fault(mock, "missing-fields", messages=[{"role": "user", "content": "hi"}])
    assert chunks and all(c.created is None and c.id is None for c in chunks)  # built without validation
    mock.server.set_fault("missing-fields")
    try:
        client = openai.OpenAI(base_url=mock.base_url, api_key="sk-unused", max_retries=0, timeout=5)
        whole = await asyncio.to_thread(lambda: client.chat.completions.create(
            model="mock-model", messages=[{"role": "user", "content": "hi"}]))
        report = await run_check(Target(mock.base_url, "mock-model", stream=False), "openai", timeout=3)
    finally:
        mock.server.set_fault(None)
    assert whole.created is None and whole.choices[0].message.content == "You said: hi"
    assert ("schema.fields-missing", "warning") in {(f.id, f.severity) for f in report.findings}


async def test_a_camel_case_finish_reason_is_none_to_the_sdk(chat_endpoint) -> None:
    """Play.ai's own reference server sends finishReason: the SDK sees no finish_reason at all."""
    from aiohttp import web

    from workbench import wire

    async def camel(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": wire.SSE_CONTENT_TYPE})
        await response.prepare(request)
        for delta, finish in (({"role": "assistant", "content": "Hi."}, None), ({}, "stop")):
            obj = wire.chunk("chatcmpl-c", "m", 1, delta, None)
            del obj["choices"][0]["finish_reason"]
            obj["choices"][0]["finishReason"] = finish
            await response.write(wire.sse_event(obj))
        await response.write(wire.SSE_DONE)
        return response

    async with chat_endpoint(camel) as base_url:
        chunks = await asyncio.to_thread(sdk_stream, base_url, messages=[{"role": "user", "content": "hi"}])
        report = await run_check(Target(base_url, "m"), "playai", timeout=3)
    assert [c.choices[0].finish_reason for c in chunks] == [None, None]
    missing = next(f for f in report.findings if f.id == "stream.finish-reason-missing")
    assert missing.severity == "warning" and "`finishReason`" in missing.message
