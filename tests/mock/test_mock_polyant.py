"""`--persona polyant`: instance slugs, NestJS error envelopes, the 20-a-minute throttle, Bearer only."""

from __future__ import annotations

import json

import httpx
import pytest

from workbench import wire
from workbench.mock import MockConfig, MockServer

KEY = "sk-polyant-instance-0123456789"
BEARER = {"authorization": f"Bearer {KEY}"}


pytestmark = pytest.mark.usefixtures("no_proxy")


def polyant(**changes: object) -> MockConfig:
    return MockConfig(**{"persona": "polyant", "models": ("demo-bot", "support-bot"), "api_key": KEY, **changes})


def body(model: str = "demo-bot", **extra: object) -> dict[str, object]:
    return {"model": model, "messages": [{"role": "user", "content": "Hello!"}], **extra}


def is_nest(response: httpx.Response, status: int, message: str | None = None) -> bool:
    payload = response.json()
    assert set(payload) == {"statusCode", "message", "error"}, payload
    assert payload["statusCode"] == status == response.status_code
    if message is not None:
        assert payload["message"] == message
    return True


async def test_models_are_the_instance_slugs_and_need_a_bearer(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(polyant()) as server:
        listed = await loopback_http.get(server.base_url + "/models", headers=BEARER)
        assert [m["id"] for m in listed.json()["data"]] == ["demo-bot", "support-bot"]
        assert {m["owned_by"] for m in listed.json()["data"]} == {"polyant"}
        assert is_nest(await loopback_http.get(server.base_url + "/models"), 401, "Invalid API key")
        assert is_nest(await loopback_http.get(server.base_url + "/models", headers={"x-api-key": KEY}), 401)


async def test_models_need_a_bearer_even_with_no_key_configured(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(polyant(api_key=None)) as server:
        assert is_nest(await loopback_http.get(server.base_url + "/models"), 401)
        models = await loopback_http.get(server.base_url + "/models", headers={"authorization": "Bearer jwt"})
        assert models.status_code == 200
        # chat is open on an instance without auth
        assert (await loopback_http.post(server.base_url + "/chat/completions", json=body())).status_code == 200


async def test_chat_reply_has_zero_usage_and_only_stop(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(polyant()) as server:
        reply = (await loopback_http.post(server.base_url + "/chat/completions", json=body(max_tokens=1),
                                          headers=BEARER)).json()
    assert reply["model"] == "demo-bot" and reply["id"].startswith("chatcmpl-") and len(reply["id"]) == 9 + 24
    assert reply["choices"][0]["message"]["content"] == "You said: Hello!"  # max_tokens is not honoured
    assert reply["choices"][0]["finish_reason"] == "stop"
    assert reply["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


async def test_stream_ignores_include_usage_and_ends_with_done(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(polyant()) as server:
        response = await loopback_http.post(server.base_url + "/chat/completions", headers=BEARER,
                                   json=body(stream=True, stream_options={"include_usage": True}))
    events = wire.parse_sse(response.text)
    chunks = [json.loads(e.data) for e in events if e.data and not e.is_done]
    assert events[-1].is_done and all(c["choices"] for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert "".join(wire.delta_text(c) for c in chunks) == "You said: Hello!"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize("headers", [{}, {"x-api-key": KEY}, {"authorization": "Bearer sk-wrong-1234567890"}])
async def test_chat_takes_only_the_bearer_key(headers: dict[str, str], loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(polyant()) as server:
        response = await loopback_http.post(server.base_url + "/chat/completions", json=body(), headers=headers)
    assert is_nest(response, 401, "Invalid API key") and response.json()["error"] == "Unauthorized"


async def test_unknown_model_is_a_401_naming_the_slugs(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(polyant()) as server:
        response = await loopback_http.post(server.base_url + "/chat/completions", json=body("gpt-4o"), headers=BEARER)
    assert is_nest(response, 401)
    assert "gpt-4o" in response.json()["message"] and "demo-bot" in response.json()["message"]


@pytest.mark.parametrize(("content", "status"), [
    (b"{bad", 400), (json.dumps({"model": "demo-bot"}).encode(), 400),
    (json.dumps(body(stream="yes")).encode(), 400),
])
async def test_every_error_is_the_nest_envelope(content: bytes, status: int, loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(polyant()) as server:
        response = await loopback_http.post(server.base_url + "/chat/completions", content=content, headers=BEARER)
        assert is_nest(response, status) and response.json()["error"] == "Bad Request"
        missing = await loopback_http.get(server.root_url + "/v1/nothing")
        assert is_nest(missing, 404, "Cannot GET /v1/nothing")
        wrong = await loopback_http.get(server.base_url + "/chat/completions")
        assert is_nest(wrong, 405) and wrong.headers["allow"] == "POST"
        server.set_fault("server-error")
        assert is_nest(await loopback_http.post(server.base_url + "/chat/completions", json=body(), headers=BEARER),
                       500)


async def test_twenty_requests_a_minute_per_client_then_429(loopback_http: httpx.AsyncClient) -> None:
    async with MockServer(polyant()) as server:
        statuses = []
        for _ in range(21):
            response = await loopback_http.post(server.base_url + "/chat/completions", json=body(), headers=BEARER)
            statuses.append(response.status_code)
        assert statuses == [200] * 20 + [429]
        assert is_nest(response, 429, "ThrottlerException: Too Many Requests")
        assert 1 <= int(response.headers["retry-after"]) <= 60
        # models are not throttled
        assert (await loopback_http.get(server.base_url + "/models", headers=BEARER)).status_code == 200


def test_throttle_counts_each_address_apart() -> None:
    from workbench.mock.persona_polyant import Throttle

    throttle = Throttle(limit=2)
    assert [throttle.retry_after("10.0.0.1") for _ in range(3)][:2] == [None, None]
    assert throttle.retry_after("10.0.0.1") is not None
    assert throttle.retry_after("10.0.0.2") is None
    fast = Throttle(limit=1, window_s=0.0)  # a window that has always passed: nothing is held back
    assert fast.retry_after("a") is None and fast.retry_after("a") is None
