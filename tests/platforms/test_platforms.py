"""Platforms: each builds exactly the request its platform sends, and says what it requires."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.errors import UsageError
from workbench.platforms import PLATFORMS, get_platform
from workbench.platforms.playai import SMOKE_TEST
from workbench.platforms.sheet import ShownCredential
from workbench.profiles import Profile
from workbench.target import Target

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
KEY = "sk-platform-test-0042"


def target(auth: str = "bearer", **changes) -> Target:
    return Target("https://llm.example.com/v1", "my-model", auth=auth, api_key=KEY, **changes)


def test_registry_lists_the_design_platforms_in_order() -> None:
    assert list(PLATFORMS) == ["polyai", "playai", "polyant", "vapi", "elevenlabs", "openai", "pipecat", "livekit"]
    assert get_platform("PolyAI") is PLATFORMS["polyai"]


def test_unknown_platform_names_the_valid_ones() -> None:
    with pytest.raises(UsageError) as raised:
        get_platform("twilio")
    assert all(name in raised.value.hint for name in PLATFORMS)


@pytest.mark.parametrize("platform", list(PLATFORMS.values()), ids=list(PLATFORMS))
def test_every_platform_posts_to_base_url_plus_chat_completions(platform) -> None:
    request = platform.build_request(target(), platform.smoke_messages())
    assert request.method == "POST"
    assert request.url == "https://llm.example.com/v1/chat/completions"
    assert request.body["model"] == "my-model"
    assert request.body["messages"] == platform.smoke_messages()
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert json.loads(request.content()) == request.body
    assert platform.checklist and platform.setup_sheet and platform.title
    assert platform.first_token_budget_ms > 0 and platform.timeouts.first_token > 0
    no_key = platform.build_request(target(auth="none"), platform.smoke_messages())
    assert not {"authorization", "x-api-key"} & {h.lower() for h in no_key.headers}


def test_polyai_sends_its_documented_body_and_either_header() -> None:
    polyai = PLATFORMS["polyai"]
    request = polyai.build_request(target("x-api-key"), polyai.smoke_messages())
    assert request.headers["x-api-key"] == KEY and "Authorization" not in request.headers
    body = request.body
    assert body["temperature"] == 0.7 and body["top_p"] == 1.0 and body["stream"] is False
    assert "frequency_penalty" in body and "presence_penalty" in body  # "extra OpenAI-style fields"
    assert body["messages"][0]["role"] == "system"
    assert polyai.build_request(target("bearer"), []).headers["Authorization"] == f"Bearer {KEY}"
    assert polyai.stream_default is False and polyai.stream_required is False
    profile = Profile(name="p", base_url="https://llm.example.com/v1", model="my-model", auth="x-api-key")
    sheet = polyai.setup_sheet(profile, polyai, ShownCredential(None, False, profile))
    assert [f.label for f in sheet.fields] == ["Endpoint URL", "Model ID", "Auth method", "Credential"]


def test_polyai_checklist_is_the_seed_verbatim() -> None:
    checklist = PLATFORMS["polyai"].checklist
    assert checklist == (
        "Endpoint reachable with POST.",
        "Request/response match OpenAI chat/completions schema.",
        "Authentication header configured (API Key or Bearer token).",
        "(Optional) Streaming supported if needed.",
    )
    seed = SEEDS / "000_ac1c218583da0859.txt"
    if seed.exists():
        text = seed.read_text()
        assert all(item in text for item in checklist)


def test_playai_smoke_test_streams_with_bearer_whatever_the_profile_says() -> None:
    playai = PLATFORMS["playai"]
    assert playai.smoke_messages() == [{"role": "user", "content": "Repeat with me: the smoke test has passed."}]
    assert SMOKE_TEST == "Repeat with me: the smoke test has passed."
    request = playai.build_request(target("x-api-key"), playai.smoke_messages())
    assert request.headers["Authorization"] == f"Bearer {KEY}" and "x-api-key" not in request.headers
    assert request.body == {"model": "my-model", "messages": playai.smoke_messages(), "stream": True}
    assert playai.stream_required


def test_polyant_sends_strings_only_and_at_most_100_messages() -> None:
    polyant = PLATFORMS["polyant"]
    history = [{"role": "system", "content": "rules"}] + [
        {"role": "user" if i % 2 == 0 else "assistant", "content": [{"type": "text", "text": f"turn {i}"}]}
        for i in range(150)
    ]
    messages = polyant.build_request(target(), history).body["messages"]
    assert len(messages) == 100
    assert messages[0] == {"role": "system", "content": "rules"}
    assert messages[-1]["content"] == "turn 149"
    assert all(isinstance(m["content"], str) for m in messages)
    assert polyant.uses_models_endpoint and polyant.auth_methods == ("bearer",)


def test_vapi_streams_with_its_extra_fields_and_tools() -> None:
    vapi = PLATFORMS["vapi"]
    request = vapi.build_request(target(), vapi.smoke_messages())
    assert request.headers["Accept"] == "text/event-stream"
    body = request.body
    assert body["stream"] is True and body["temperature"] == 0 and body["max_tokens"] == 250
    assert {"call", "metadata", "customer", "phoneNumber"} <= body.keys()
    assert all(tool["type"] == "function" and "name" in tool["function"] for tool in body["tools"])
    assert vapi.timeouts.first_token == 20.0 and vapi.stream_required


def test_elevenlabs_offers_its_system_tools() -> None:
    elevenlabs = PLATFORMS["elevenlabs"]
    body = elevenlabs.build_request(target(), elevenlabs.smoke_messages()).body
    names = {tool["function"]["name"] for tool in body["tools"]}
    assert {"end_call", "transfer_to_number"} <= names
    assert body["stream"] is True and "user_id" in body and "elevenlabs_extra_body" in body and "max_tokens" in body
    assert elevenlabs.stream_required


def test_profile_parameters_and_headers_go_along() -> None:
    polyai = PLATFORMS["polyai"]
    custom = target(params={"temperature": 0.2, "max_tokens": 64}, headers={"X-Team": "voice"})
    request = polyai.build_request(custom, polyai.smoke_messages(), stream=True)
    assert request.body["temperature"] == 0.2 and request.body["max_tokens"] == 64
    assert request.body["stream"] is True and request.stream
    assert request.headers["X-Team"] == "voice"


def test_openai_sdk_follows_the_profiles_stream_choice() -> None:
    sdk = PLATFORMS["openai"]
    assert sdk.build_request(target(stream=False), []).body["stream"] is False
    assert sdk.build_request(target(stream=True), []).body["stream"] is True
    assert list(sdk.build_request(target(params={"temperature": 1}), []).body) == [
        "model", "stream", "messages", "temperature"]


def test_every_checklist_item_says_what_a_check_must_prove_to_tick_it() -> None:
    from workbench.checks.findings import CATEGORIES
    from workbench.platforms import PLATFORMS

    for platform in PLATFORMS.values():
        if platform.checklist:
            assert len(platform.checklist_proof) == len(platform.checklist), platform.id
        assert all(set(proof) <= set(CATEGORIES) for proof in platform.checklist_proof), platform.id
