"""The platforms' tool interface: the tools each offers, the history after a tool call, after a barge-in."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from openai.types.chat import ChatCompletionMessage

from workbench.platforms import PLATFORMS
from workbench.platforms.elevenlabs import SYSTEM_TOOLS
from workbench.platforms.vapi import DEFAULT_TOOLS
from workbench.target import Target

TARGET = Target("https://llm.example.com/v1", "my-model", auth="bearer", api_key="sk-tools-0001")
SPOKEN = "Sure, ending the call."


@dataclass(frozen=True)
class Call:
    """An assembled tool call (the check's own class has the same attributes)."""

    id: str | None
    index: int | None
    name: str
    arguments: str


CALL = Call("call_abc123", 0, "end_call", '{"reason": "caller said goodbye", "message": "Adiós, señor"}')


@pytest.mark.parametrize("platform_id", ["polyai", "playai", "polyant"])
def test_platforms_without_tools_offer_none(platform_id: str) -> None:
    platform = PLATFORMS[platform_id]
    assert platform.offered_tools(TARGET) == []
    assert "tools" not in platform.build_request(TARGET, platform.smoke_messages(), tools=True).body


@pytest.mark.parametrize("platform_id", ["vapi", "elevenlabs", "openai", "pipecat", "livekit"])
def test_platforms_with_tools_offer_openai_functions(platform_id: str) -> None:
    platform = PLATFORMS[platform_id]
    tools = platform.offered_tools(TARGET)
    assert tools, f"{platform_id} offers tools"
    for tool in tools:
        assert tool["type"] == "function" and isinstance(tool["function"]["name"], str)
        assert tool["function"]["parameters"]["type"] == "object"
    assert platform.build_request(TARGET, platform.smoke_messages(), tools=True).body["tools"] == tools


def test_vapi_and_elevenlabs_offer_their_tools_on_every_request() -> None:
    vapi, elevenlabs = PLATFORMS["vapi"], PLATFORMS["elevenlabs"]
    assert vapi.build_request(TARGET, vapi.smoke_messages()).body["tools"] == DEFAULT_TOOLS
    assert {t["function"]["name"] for t in DEFAULT_TOOLS} == {"transferCall", "endCall"}
    assert elevenlabs.build_request(TARGET, elevenlabs.smoke_messages()).body["tools"] == SYSTEM_TOOLS


def test_elevenlabs_system_tools_have_their_documented_parameters() -> None:
    by_name = {t["function"]["name"]: t["function"]["parameters"] for t in SYSTEM_TOOLS}
    assert by_name["end_call"]["required"] == ["reason"] and set(by_name["end_call"]["properties"]) == {
        "reason", "message"}
    assert by_name["transfer_to_number"]["required"] == ["transfer_number", "client_message", "agent_message"]
    assert by_name["language_detection"]["required"] == ["reason", "language"]
    assert by_name["skip_turn"]["required"] == []


@pytest.mark.parametrize("platform_id", ["vapi", "elevenlabs", "openai", "polyai", "playai", "polyant"])
def test_the_openai_convention_carries_the_raw_arguments_and_the_result(platform_id: str) -> None:
    assistant, tool = PLATFORMS[platform_id].tool_result_messages(CALL, "done", SPOKEN)
    assert assistant == {"role": "assistant", "content": SPOKEN, "tool_calls": [
        {"id": CALL.id, "type": "function", "function": {"name": "end_call", "arguments": CALL.arguments}}]}
    assert tool == {"role": "tool", "tool_call_id": CALL.id, "content": "done"}
    silent, _ = PLATFORMS[platform_id].tool_result_messages(CALL, "done")
    assert silent["content"] is None


def test_pipecat_sends_one_assistant_message_per_call_with_reserialised_arguments() -> None:
    messages = PLATFORMS["pipecat"].tool_result_messages(CALL, "done")
    assert messages == [
        {"role": "assistant", "tool_calls": [{"id": CALL.id, "function": {
            "name": "end_call",
            "arguments": json.dumps(json.loads(CALL.arguments), ensure_ascii=False)}, "type": "function"}]},
        {"role": "tool", "content": '"done"', "tool_call_id": CALL.id},
    ]
    assert "content" not in messages[0]
    assert "señor" in messages[0]["tool_calls"][0]["function"]["arguments"]  # ensure_ascii=False
    assert PLATFORMS["pipecat"].tool_result_messages(CALL, "")[1]["content"] == "COMPLETED"
    spoken = PLATFORMS["pipecat"].tool_result_messages(CALL, "done", SPOKEN)
    assert spoken[0] == {"role": "assistant", "content": SPOKEN} and spoken[1:] == messages  # observed order
    assert PLATFORMS["pipecat"].tool_result_messages(Call("c1", 0, "end_call", ""), "x")[0]["tool_calls"][0][
        "function"]["arguments"] == "{}"


def test_pipecat_skips_a_call_whose_arguments_are_not_json() -> None:
    assert PLATFORMS["pipecat"].tool_result_messages(Call("c1", 0, "end_call", '{"reason": '), "done") == []


def test_livekit_keeps_the_raw_arguments_and_sends_the_result_as_text() -> None:
    livekit = PLATFORMS["livekit"]
    assistant, tool = livekit.tool_result_messages(CALL, "say goodbye to the user")
    assert assistant == {"role": "assistant", "tool_calls": [
        {"id": CALL.id, "type": "function", "function": {"name": "end_call", "arguments": CALL.arguments}}]}
    assert tool == {"role": "tool", "tool_call_id": CALL.id, "content": "say goodbye to the user"}
    assert livekit.tool_result_messages(CALL, "ok", SPOKEN)[0]["content"] == SPOKEN
    assert livekit.tool_result_messages(Call(None, 0, "end_call", "{}"), "ok") == []  # never emitted


@pytest.mark.parametrize("platform_id", list(PLATFORMS))
def test_every_follow_up_assistant_message_is_one_the_sdk_can_read(platform_id: str) -> None:
    """Through the SDK's own type: the assistant message parses, its tool call keeps id, name and arguments."""
    messages = PLATFORMS[platform_id].tool_result_messages(CALL, "done", SPOKEN)
    parsed = ChatCompletionMessage.model_validate(next(m for m in messages if "tool_calls" in m))
    assert parsed.tool_calls and parsed.tool_calls[0].id == CALL.id
    assert json.loads(parsed.tool_calls[0].function.arguments) == json.loads(CALL.arguments)
    assert next(m for m in messages if m["role"] == "tool")["tool_call_id"] == CALL.id


@pytest.mark.parametrize("platform_id", list(PLATFORMS))
def test_a_barge_in_keeps_only_what_was_spoken(platform_id: str) -> None:
    platform = PLATFORMS[platform_id]
    assert platform.interrupted_history("Well, the") == [{"role": "assistant", "content": "Well, the"}]
    assert platform.interrupted_history("") == []


@pytest.mark.parametrize("platform_id", list(PLATFORMS))
def test_the_follow_up_request_is_the_platforms_own(platform_id: str) -> None:
    """The history after a tool call goes out in the platform's request, unchanged (string content kept)."""
    platform = PLATFORMS[platform_id]
    history = [*platform.smoke_messages(), {"role": "user", "content": "Bye. Please end the call now."}]
    follow_up = history + platform.tool_result_messages(CALL, "done")
    body = platform.build_request(TARGET, follow_up, tools=True).body
    assert body["messages"][-2:] == platform.tool_result_messages(CALL, "done")[-2:]
