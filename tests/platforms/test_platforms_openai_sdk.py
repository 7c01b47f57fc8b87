"""The `openai` platform against the real SDK: what the SDK sends (captured by the mock) is what we send."""

from __future__ import annotations

import json

import openai
import pytest

from workbench.mock import MockConfig, MockServer
from workbench.platforms import get_platform
from workbench.target import Target

KEY = "sk-sdk-capture-key-77"
TRANSPORT = {"host", "content-length", "accept-encoding", "connection"}  # set by the HTTP library, not the SDK
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]


@pytest.fixture(scope="module")
def mock():
    handle = MockServer.start_in_thread(MockConfig(port=0, api_key=KEY))
    yield handle
    handle.stop()


@pytest.mark.parametrize("stream", [False, True])
def test_build_request_matches_a_captured_sdk_request(mock, stream: bool) -> None:
    client = openai.OpenAI(base_url=mock.base_url, api_key=KEY, max_retries=0)
    before = len(mock.server.requests)
    reply = client.chat.completions.create(model="mock-model", messages=MESSAGES, stream=stream, temperature=0.5)
    if stream:
        list(reply)
    captured = mock.wait_for_requests(before + 1)[before]
    ours = get_platform("openai").build_request(
        Target(mock.base_url, "mock-model", auth="bearer", api_key=KEY, params={"temperature": 0.5}, stream=stream),
        MESSAGES,
    )
    sdk_headers = {k.lower(): v for k, v in captured.headers.items() if k.lower() not in TRANSPORT}
    our_headers = {k.lower(): v for k, v in ours.headers.items()}
    assert set(sdk_headers) == set(our_headers)
    for name, value in sdk_headers.items():
        if name != "authorization":  # masked in the mock's log
            assert our_headers[name] == value, name
    assert captured.path == "/v1/chat/completions" and ours.url == mock.base_url + "/chat/completions"
    assert list(json.loads(captured.body)) == list(ours.body)  # same keys, same order
    assert json.loads(captured.body) == ours.body


def _captured_headers(captured) -> dict[str, str]:
    return {k.lower(): v for k, v in captured.headers.items() if k.lower() not in TRANSPORT}


def _assert_same_request(captured, ours) -> None:
    sdk_headers = _captured_headers(captured)
    our_headers = {k.lower(): v for k, v in ours.headers.items()}
    assert set(sdk_headers) == set(our_headers)
    for name, value in sdk_headers.items():
        if name != "authorization":  # masked in the mock's log
            assert our_headers[name] == value, name
    assert list(json.loads(captured.body)) == list(ours.body)  # same keys, same order
    assert json.loads(captured.body) == ours.body


async def test_pipecat_is_what_its_async_client_sends(mock) -> None:
    """Pipecat's get_chat_completions: AsyncOpenAI(base_url, api_key), create(model, stream, stream_options, …)."""
    pipecat = get_platform("pipecat")
    target = Target(mock.base_url, "mock-model", auth="bearer", api_key=KEY, params={"temperature": 0.5})
    ours = pipecat.build_request(target, pipecat.smoke_messages(), tools=True)
    client = openai.AsyncOpenAI(base_url=mock.base_url, api_key=KEY)
    before = len(mock.server.requests)
    stream = await client.chat.completions.create(
        model="mock-model", stream=True, stream_options={"include_usage": True}, temperature=0.5,
        messages=pipecat.smoke_messages(), tools=pipecat.offered_tools(target))
    async for _ in stream:
        pass
    await client.close()
    _assert_same_request(mock.wait_for_requests(before + 1)[before], ours)


async def test_livekit_is_what_its_llm_stream_sends(mock) -> None:
    """LiveKit's LLMStream._run: AsyncClient(max_retries=0), create(..., timeout=httpx.Timeout(10.0),
    extra_headers=get_inference_headers()); the prewarm is the same client's models.list()."""
    import httpx

    livekit = get_platform("livekit")
    target = Target(mock.base_url, "mock-model", auth="bearer", api_key=KEY)
    ours = livekit.build_request(target, livekit.smoke_messages())
    job_headers = {k: v for k, v in ours.headers.items() if k.startswith("X-LiveKit-") or k == "User-Agent"}
    client = openai.AsyncOpenAI(base_url=mock.base_url, api_key=KEY, max_retries=0,
                                http_client=httpx.AsyncClient(timeout=httpx.Timeout(connect=15.0, read=5.0,
                                                                                    write=5.0, pool=5.0)))
    before = len(mock.server.requests)
    await client.models.list()
    stream = await client.chat.completions.create(
        messages=livekit.smoke_messages(), tools=openai.omit, model="mock-model",
        stream_options={"include_usage": True}, stream=True, timeout=httpx.Timeout(10.0),
        extra_headers=job_headers)
    async for _ in stream:
        pass
    await client.close()
    prewarm, chat = mock.wait_for_requests(before + 2)[before:before + 2]
    _assert_same_request(chat, ours)
    models = livekit.models_request(target)
    assert prewarm.path == "/v1/models" and models.url == mock.base_url + "/models"
    assert set(_captured_headers(prewarm)) == {k.lower() for k in models.headers}
    for name, value in _captured_headers(prewarm).items():
        if name != "authorization":
            assert {k.lower(): v for k, v in models.headers.items()}[name] == value, name
