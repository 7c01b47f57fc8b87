"""The mock over a call, not a request: tool calls when asked, the tool result's reply, a caller
barging in on a server that keeps generating, and the faults that hit only some requests."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from workbench import wire
from workbench.mock import MockConfig, MockServer
from workbench.mock.answer import asked_tool

pytestmark = pytest.mark.usefixtures("no_proxy")

END_CALL = {"type": "function", "function": {
    "name": "end_call", "description": "End the call.",
    "parameters": {"type": "object", "properties": {"reason": {"type": "string"}, "count": {"type": "integer"}},
                   "required": ["reason", "count"]}}}
TRANSFER = {"type": "function",
            "function": {"name": "transferCall", "parameters": {"type": "object", "properties": {}}}}
ASK = "That's all, thank you. Please end the call now."


def chat(messages: list[dict[str, Any]], *, stream: bool, **extra: Any) -> dict[str, Any]:
    return {"model": "mock-model", "messages": messages, "stream": stream, **extra}


def chunks_of(text: str) -> list[dict[str, Any]]:
    return [json.loads(e.data) for e in wire.parse_sse(text) if e.data and not e.is_done]


@pytest.mark.parametrize(("text", "expected"), [
    (ASK, "end_call"),
    ("Could you transfer this call to a person?", "transferCall"),
    ("Hello, can you hear me?", None),
    ("Let us end here.", None),  # "call" is missing: not every word of end_call
])
def test_a_tool_is_called_when_the_caller_names_it(text: str, expected: str | None) -> None:
    tool = asked_tool([TRANSFER, END_CALL], text)
    assert (tool["function"]["name"] if tool else None) == expected


async def test_asked_for_a_tool_the_mock_streams_a_call_as_openai_does(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(MockConfig()) as server:
        reply = await loopback_http.post(server.base_url + "/chat/completions",
                                         json=chat([wire.message("user", ASK)], stream=True, tools=[END_CALL]))
    chunks = chunks_of(reply.text)
    calls = [c["choices"][0]["delta"]["tool_calls"][0] for c in chunks if c["choices"][0]["delta"].get("tool_calls")]
    assert calls[0]["id"].startswith("call_") and calls[0]["function"] == {"name": "end_call", "arguments": ""}
    assert all(c["index"] == 0 for c in calls) and all("id" not in c for c in calls[1:])
    arguments = json.loads("".join(c["function"]["arguments"] for c in calls))
    assert arguments == {"reason": f"The caller said: {ASK}", "count": 0}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert "".join(wire.delta_text(c) for c in chunks) == ""


async def test_asked_for_a_tool_a_whole_reply_carries_the_call(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(MockConfig()) as server:
        reply = await loopback_http.post(server.base_url + "/chat/completions",
                                         json=chat([wire.message("user", ASK)], stream=False, tools=[END_CALL]))
    choice = reply.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    assert choice["message"]["tool_calls"][0]["function"]["name"] == "end_call"


async def test_without_tools_offered_the_same_words_get_the_echo(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(MockConfig()) as server:
        reply = await loopback_http.post(server.base_url + "/chat/completions",
                                         json=chat([wire.message("user", ASK)], stream=False))
    assert reply.json()["choices"][0]["message"]["content"] == f"You said: {ASK}"


async def test_the_tool_result_gets_a_text_reply(loopback_http: httpx.AsyncClient) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "end_call", "arguments": "{}"}}
    messages = [wire.message("user", ASK), {"role": "assistant", "tool_calls": [call]},
                {"role": "tool", "tool_call_id": "call_1", "content": "ended"}]
    async with MockServer(MockConfig(fault="tool-call-stop")) as server:  # a tool fault: text all the same
        reply = await loopback_http.post(server.base_url + "/chat/completions",
                                         json=chat(messages, stream=False, tools=[END_CALL]))
    assert reply.json()["choices"][0]["message"]["content"] == "Done. The tool answered: ended"


@pytest.mark.parametrize(("fault", "request_body"), [
    ("context-limit", chat([wire.message("user", "short")], stream=True)),
    ("reject-stream-options", chat([wire.message("user", "hi")], stream=True)),
    ("tool-result-500", chat([wire.message("user", "hi")], stream=False)),
])
async def test_conditional_faults_pass_requests_without_what_they_refuse(
        fault: str, request_body: dict[str, Any], loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(MockConfig(fault=fault, context_tokens=50)) as server:
        reply = await loopback_http.post(server.base_url + "/chat/completions", json=request_body)
        assert reply.status_code == 200 and server.requests[-1].fault is None


async def test_keep_generating_makes_the_next_turn_wait_for_the_abandoned_reply(
        loopback_http: httpx.AsyncClient) -> None:
    """A caller barges in (the client hangs up after a few words); the next turn waits for the worker."""
    long_turn = ("I am calling about the booking I made last week for Saturday evening, and I would like you to "
                 "tell me everything about the menu, the opening hours and the parking, please.")
    body = chat([wire.message("user", long_turn)], stream=True)
    async with MockServer(MockConfig(fault="keep-generating")) as server:
        url = server.base_url + "/chat/completions"
        async with loopback_http.stream("POST", url, json=body) as first:
            words = 0
            async for line in first.aiter_lines():
                words += '"content":"' in line and '"content":""' not in line
                if words == 3:
                    break
        hung_up = time.monotonic()
        async with loopback_http.stream("POST", url, json=body) as second:
            async for line in second.aiter_lines():
                if '"content":"' in line and '"content":""' not in line:
                    break
        waited = time.monotonic() - hung_up
        await asyncio.sleep(0)
    # The abandoned echo had about 33 words left at 25 ms each; the next one starts after them.
    assert waited >= 0.4, f"the next turn's first word came {waited:.3f} s after the hang-up"
