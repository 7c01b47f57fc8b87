"""`workbench check --as pipecat|livekit` against the real mock, and a field only they always send refused."""

from __future__ import annotations

import json

import pytest

from workbench.checks.runner import run_check
from workbench.mock import MockConfig, MockServer
from workbench.target import Target

NEW = ("pipecat", "livekit")


@pytest.mark.parametrize("platform", NEW)
async def test_good_open_mock_is_only_auth_open(platform: str) -> None:
    async with MockServer(MockConfig(port=0)) as server:
        report = await run_check(Target(server.base_url, "mock-model"), platform)
        paths = [(r.method, r.path) for r in server.requests]
    assert [(f.id, f.severity) for f in report.findings if f.severity != "info"] == [("auth.open", "warning")]
    assert report.compatible
    sent = [_json(r.body) for r in server.requests if r.method == "POST"]
    streamed = [body for body in sent if isinstance(body, dict) and body.get("stream")]
    assert streamed and all(body["stream_options"] == {"include_usage": True} for body in streamed)
    if platform == "livekit":
        assert ("GET", "/v1/models") in paths  # the prewarm, as LiveKit sends it at session start


def _json(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return None  # the check's malformed-JSON probe


def _refusing_stream_options():
    from aiohttp import web

    from workbench import wire

    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if "stream_options" in body:
            return web.json_response(wire.error_envelope("Unrecognized request argument supplied: stream_options"),
                                     status=400)
        if not body.get("stream"):
            return web.json_response(wire.completion("m", "Hello there.", usage=wire.usage(3, 2)))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        deltas = [({"role": "assistant", "content": "Hello"}, None), ({"content": " there."}, None), ({}, "stop")]
        for delta, finish in deltas:
            chunk = wire.chunk("chatcmpl-sopt", "m", 1700000000, delta, finish)
            await response.write(("data: " + json.dumps(chunk) + "\n\n").encode())
        await response.write(b"data: [DONE]\n\n")
        return response

    return chat


@pytest.mark.parametrize("platform", NEW)
async def test_refusing_stream_options_is_an_error_for_the_platforms_that_always_send_it(
        chat_endpoint, platform: str) -> None:
    async with chat_endpoint(_refusing_stream_options()) as base_url:
        report = await run_check(Target(base_url, "m"), platform)
    errors = [f for f in report.findings if f.severity == "error"]
    assert [f.id for f in errors] == ["params.extras-rejected"]
    assert "stream_options" in errors[0].message and "every call would fail" in errors[0].message
    assert "stream_options" in errors[0].hint
    assert not report.compatible


@pytest.mark.parametrize("platform", ["polyai", "playai", "vapi", "elevenlabs", "openai"])
async def test_refusing_stream_options_is_fine_for_the_others(chat_endpoint, platform: str) -> None:
    async with chat_endpoint(_refusing_stream_options()) as base_url:
        report = await run_check(Target(base_url, "m"), platform)
    assert not [f for f in report.findings if f.severity == "error"], [f.message for f in report.findings]


async def test_refusing_the_developer_role_fails_pipecats_own_first_request() -> None:
    async with MockServer(MockConfig(port=0, fault="reject-developer-role")) as server:
        report = await run_check(Target(server.base_url, "mock-model"), "pipecat")
    errors = [f for f in report.findings if f.severity == "error"]
    assert [f.id for f in errors] == ["params.request-rejected"]
    assert '"developer"' in errors[0].message and "developer" in errors[0].hint
