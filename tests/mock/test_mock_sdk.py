"""The mock through the official openai SDK, sync (start_in_thread) and async (async with MockServer)."""

from __future__ import annotations

import openai
import pytest

from workbench.mock import MockConfig, MockServer, MockThread

KEY = "sk-sdk-test-0123456789abcdef"
USER = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello there world"}]
ECHO = "You said: hello there world"


pytestmark = pytest.mark.usefixtures("no_proxy")


def sync_client(handle: MockThread, api_key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=handle.base_url, api_key=api_key, max_retries=0)


def test_sync_non_streaming_reply_is_the_echo_with_counted_usage(mock_thread: MockThread) -> None:
    reply = sync_client(mock_thread).chat.completions.create(model="my-llm", messages=USER)
    assert reply.id.startswith("chatcmpl-") and reply.object == "chat.completion"
    assert reply.model == "my-llm"  # the requested model comes back
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].message.content == ECHO
    assert reply.choices[0].finish_reason == "stop"
    # one token a word: "Be brief." + "hello there world" = 5; "You said: hello there world" = 5
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.total_tokens) == (5, 5, 10)


def test_sync_streaming_deltas_join_to_the_echo(mock_thread: MockThread) -> None:
    chunks = list(sync_client(mock_thread).chat.completions.create(model="m", messages=USER, stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ECHO
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) == 5  # a word a delta
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert len({c.id for c in chunks}) == 1


def test_sync_models_list_and_the_request_log(mock_thread: MockThread) -> None:
    models = sync_client(mock_thread).models.list()
    assert [m.id for m in models] == ["mock-model"]
    record = mock_thread.server.requests[-1]
    assert (record.method, record.path, record.status) == ("GET", "/v1/models", 200)
    assert record.auth_header == "authorization"


def test_sync_wrong_key_raises_authentication_error() -> None:
    with MockServer.start_in_thread(MockConfig(api_key=KEY)) as handle:
        with pytest.raises(openai.AuthenticationError) as caught:
            sync_client(handle, api_key="sk-wrong-key-999999999").chat.completions.create(model="m", messages=USER)
        assert caught.value.status_code == 401
        assert "sk-…9999" in caught.value.message and "sk-wrong-key-999999999" not in caught.value.message
        reply = sync_client(handle).chat.completions.create(model="m", messages=USER)
        assert reply.choices[0].message.content == ECHO


def test_sync_rate_limit_fault_raises_rate_limit_error() -> None:
    with MockServer.start_in_thread(MockConfig(fault="rate-limit")) as handle:
        with pytest.raises(openai.RateLimitError) as caught:
            sync_client(handle).chat.completions.create(model="m", messages=USER)
        assert caught.value.status_code == 429
        assert caught.value.response.headers["retry-after"] == "1"
        assert caught.value.code == "rate_limit_exceeded"


async def test_async_non_streaming_and_streaming_with_usage() -> None:
    async with MockServer(MockConfig()) as server:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="anything", max_retries=0)
        reply = await client.chat.completions.create(model="m", messages=USER)
        assert reply.choices[0].message.content == ECHO
        stream = await client.chat.completions.create(
            model="m", messages=USER, stream=True, stream_options={"include_usage": True}
        )
        chunks = [chunk async for chunk in stream]
        await client.close()
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ECHO
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == [] and usage_chunk.usage is not None
    assert usage_chunk.usage.total_tokens == usage_chunk.usage.prompt_tokens + usage_chunk.usage.completion_tokens == 10
    assert all(c.usage is None for c in chunks[:-1])


async def test_async_models_list_and_401_and_429() -> None:
    async with MockServer(MockConfig(api_key=KEY, models=("alpha", "beta"))) as server:
        good = openai.AsyncOpenAI(base_url=server.base_url, api_key=KEY, max_retries=0)
        assert [m.id async for m in good.models.list()] == ["alpha", "beta"]
        assert (await good.models.retrieve("beta")).id == "beta"
        bad = openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-nope-00000000000", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            await bad.models.list()
        server.set_fault("rate-limit")
        with pytest.raises(openai.RateLimitError):
            await good.chat.completions.create(model="m", messages=USER)
        server.set_fault(None)
        assert (await good.chat.completions.create(model="m", messages=USER)).choices[0].message.content == ECHO
        await good.close()
        await bad.close()


async def test_async_polyant_throttle_raises_rate_limit_error() -> None:
    config = MockConfig(persona="polyant", models=("demo-bot",), polyant_requests_per_minute=2)
    async with MockServer(config) as server:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-any", max_retries=0)
        for _ in range(2):
            reply = await client.chat.completions.create(model="demo-bot", messages=USER)
            assert reply.usage.total_tokens == 0  # Polyant reports zero usage
        with pytest.raises(openai.RateLimitError) as caught:
            await client.chat.completions.create(model="demo-bot", messages=USER)
        assert caught.value.response.json() == {"statusCode": 429, "message": "ThrottlerException: Too Many Requests",
                                     "error": "Too Many Requests"}
        await client.close()


async def test_async_polyant_unknown_model_raises_authentication_error() -> None:
    async with MockServer(MockConfig(persona="polyant", models=("demo-bot",))) as server:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-any", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            await client.chat.completions.create(model="support-bot", messages=USER)
        await client.close()
