"""Pipecat and LiveKit: the exact request each sends (headers, body, stream_options, roles), timeouts, prewarm."""

from __future__ import annotations

import json
import platform as runtime

from workbench.platforms import PLATFORMS
from workbench.platforms.livekit import END_CALL_TOOL as LIVEKIT_END_CALL
from workbench.platforms.livekit import LIVEKIT_VERSION
from workbench.platforms.openai import sdk_version
from workbench.platforms.pipecat import KICKOFF
from workbench.platforms.sheet import ShownCredential
from workbench.profiles import Profile
from workbench.target import Target

KEY = "sk-voice-frameworks-0007"
SDK_HEADER_NAMES = {
    "content-type", "accept", "user-agent", "x-stainless-lang", "x-stainless-package-version", "x-stainless-os",
    "x-stainless-arch", "x-stainless-runtime", "x-stainless-runtime-version", "x-stainless-async",
    "x-stainless-retry-count", "x-stainless-read-timeout", "authorization",
}
LIVEKIT_JOB_HEADERS = {"x-livekit-room-id", "x-livekit-job-id", "x-livekit-agent-id", "x-livekit-session-id"}


def target(**changes) -> Target:
    return Target("https://llm.example.com/v1", "my-model", auth="bearer", api_key=KEY, **changes)


def test_pipecat_sends_the_async_sdks_headers_with_accept_json_even_for_a_stream() -> None:
    pipecat = PLATFORMS["pipecat"]
    request = pipecat.build_request(target(), pipecat.smoke_messages())
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert set(headers) == SDK_HEADER_NAMES
    assert headers["accept"] == "application/json" and request.stream
    assert headers["user-agent"] == f"AsyncOpenAI/Python {sdk_version()}"
    assert headers["x-stainless-async"] == "async:asyncio"
    assert headers["x-stainless-read-timeout"] == "600"  # the SDK's default: Pipecat overrides none
    assert headers["authorization"] == f"Bearer {KEY}"


def test_pipecat_body_always_streams_with_usage_and_opens_with_its_developer_kickoff() -> None:
    pipecat = PLATFORMS["pipecat"]
    request = pipecat.build_request(target(), pipecat.smoke_messages())
    assert list(request.body) == ["model", "stream", "messages", "stream_options"]
    assert request.body["stream"] is True and request.body["stream_options"] == {"include_usage": True}
    assert [m["role"] for m in request.body["messages"]] == ["system", "developer"]
    assert request.body["messages"][1]["content"] == KICKOFF == "Start by concisely introducing yourself."
    conversation = pipecat.build_request(target(), pipecat.conversation_messages()).body["messages"]
    assert [m["role"] for m in conversation] == ["system", "developer", "assistant", "user", "assistant", "user"]
    assert pipecat.stream_required and pipecat.always_sends == ("stream_options",)
    assert "tools" not in request.body  # only an agent with tools sends them


def test_pipecat_sends_what_is_set_in_the_sdks_order_and_developer_messages_as_they_are() -> None:
    pipecat = PLATFORMS["pipecat"]
    params = {"temperature": 0.2, "max_tokens": 80, "seed": 7, "my_extra": 1}
    messages = [{"role": "developer", "content": "rules"}, {"role": "user", "content": "hi"}]
    body = pipecat.build_request(target(params=params), messages).body
    assert list(body) == ["model", "stream", "messages", "max_tokens", "seed", "stream_options", "temperature",
                          "my_extra"]
    assert body["messages"] == messages


def test_pipecat_timeouts_are_the_sdks_and_its_budget_says_where_it_comes_from() -> None:
    pipecat = PLATFORMS["pipecat"]
    assert (pipecat.timeouts.connect, pipecat.timeouts.read, pipecat.timeouts.first_token) == (5.0, 600.0, 600.0)
    assert pipecat.first_token_budget_ms == 1000.0
    assert "5 s" in pipecat.budget_source and "headers" in pipecat.budget_source
    assert pipecat.retries == 2 and not pipecat.prewarms_models


def test_livekit_sends_its_own_user_agent_and_job_headers_over_the_sdks() -> None:
    livekit = PLATFORMS["livekit"]
    request = livekit.build_request(target(), livekit.smoke_messages())
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert set(headers) == SDK_HEADER_NAMES | LIVEKIT_JOB_HEADERS
    assert headers["user-agent"] == f"LiveKit Agents/{LIVEKIT_VERSION} (python {runtime.python_version()})"
    assert headers["accept"] == "application/json" and headers["x-stainless-async"] == "async:asyncio"
    assert headers["x-stainless-read-timeout"] == "10.0"  # str(httpx.Timeout(10.0).read), as captured
    assert not any("token" in name for name in headers)  # the hosted worker token is never mirrored


def test_livekit_body_streams_with_usage_and_keeps_tool_choice_only_beside_tools() -> None:
    livekit = PLATFORMS["livekit"]
    plain = livekit.build_request(target(params={"tool_choice": "auto", "parallel_tool_calls": False}),
                                  livekit.smoke_messages()).body
    assert list(plain) == ["model", "stream", "messages", "parallel_tool_calls", "stream_options"]
    assert plain["stream"] is True and plain["stream_options"] == {"include_usage": True}
    with_tools = livekit.build_request(target(params={"tool_choice": "auto"}), livekit.smoke_messages(),
                                       tools=True).body
    assert list(with_tools) == ["model", "stream", "messages", "stream_options", "tool_choice", "tools"]
    assert with_tools["tools"] == [LIVEKIT_END_CALL]
    assert with_tools["tool_choice"] == "auto"


def test_livekit_end_call_tool_is_the_captured_strict_schema() -> None:
    function = LIVEKIT_END_CALL["function"]
    assert function["name"] == "end_call" and function["strict"] is True
    assert function["parameters"] == {"properties": {}, "type": "object", "additionalProperties": False}
    assert function["description"].startswith("\nEnds the current call and disconnects immediately.")


def test_livekit_timeouts_retries_and_models_prewarm() -> None:
    livekit = PLATFORMS["livekit"]
    assert (livekit.timeouts.connect, livekit.timeouts.read, livekit.timeouts.first_token) == (10.0, 10.0, 10.0)
    assert livekit.retries == 3 and livekit.prewarms_models and not livekit.uses_models_endpoint
    prewarm = livekit.models_request(target(headers={"X-Team": "voice"}))
    assert (prewarm.method, prewarm.url) == ("GET", "https://llm.example.com/v1/models")
    headers = {k.lower(): v for k, v in prewarm.headers.items()}
    assert headers["user-agent"] == f"AsyncOpenAI/Python {sdk_version()}"  # models.list() has no LiveKit headers
    assert headers["x-stainless-read-timeout"] == "5.0" and "content-type" not in headers
    assert headers["authorization"] == f"Bearer {KEY}" and headers["x-team"] == "voice"


def test_both_sheets_carry_their_snippet_and_read_the_key_from_the_environment() -> None:
    profile = Profile(name="p", base_url="https://llm.example.com/v1", model="my-model", auth="bearer",
                      api_key_env="MY_KEY")
    expected = {"pipecat": ("from pipecat.services.openai.llm import OpenAILLMService", "OpenAILLMService("),
                "livekit": ("from livekit.plugins import openai", "openai.LLM(")}
    for platform_id, (import_line, call) in expected.items():
        platform = PLATFORMS[platform_id]
        sheet = platform.setup_sheet(profile, platform, ShownCredential(None, False, profile))
        code = sheet.snippets[0].text
        assert import_line in code and call in code
        assert 'base_url="https://llm.example.com/v1"' in code and 'model="my-model"' in code
        assert 'api_key=os.environ["MY_KEY"]' in code
        compile(code, platform_id, "exec")
        assert any("stream_options" in note for note in sheet.notes)
        assert json.dumps(sheet.to_dict())


def test_what_each_does_with_a_streamed_tool_call_and_think_tags() -> None:
    pipecat, livekit = PLATFORMS["pipecat"], PLATFORMS["livekit"]
    assert pipecat.tool_call_fires_on is None  # never reads finish_reason
    assert livekit.tool_call_fires_on == ("tool_calls", "stop")
    assert livekit.strips_think_tags and not pipecat.strips_think_tags
    assert livekit.interrupted_history("  ") == [] and pipecat.interrupted_history("") == []
