"""The check plays a call (issue 14): what it sends for the tool call, the long call and the barge-in,
and the verdicts that must match the platforms (Play.ai's smoke test, a catch-all page at /v1,
the multi-turn probe after a tool-call first reply), against the real mock or a small server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from workbench import wire
from workbench.calls.barge_in import INTERRUPTED_TURN, NEXT_TURN
from workbench.calls.long_call import HISTORY_TURNS
from workbench.checks.runner import run_check
from workbench.checks.scenes import ASK_TO_END, TOOL_RESULT
from workbench.mock import MockConfig, MockServer
from workbench.platforms.playai import SMOKE_TEST
from workbench.target import Target

pytestmark = pytest.mark.usefixtures("no_proxy")
E, W = "error", "warning"


def bodies(server: MockServer) -> list[dict]:
    """The chat request bodies the mock received (the check's malformed-JSON probe left out)."""
    out = []
    for record in server.requests:
        if record.path.endswith("/chat/completions") and record.body:
            try:
                body = json.loads(record.body)
            except json.JSONDecodeError:
                continue
            if isinstance(body, dict) and "messages" in body:
                out.append(body)
    return out


async def test_the_tool_turn_and_its_result_go_as_the_platform_sends_them() -> None:
    async with MockServer(MockConfig(port=0)) as server:
        report = await run_check(Target(server.base_url, "mock-model"), "elevenlabs")
        sent = bodies(server)
    asked = [b for b in sent if b["messages"][-1].get("content") == ASK_TO_END]
    result = [b for b in sent if b["messages"][-1]["role"] == "tool"]
    assert len(asked) == 1 and len(result) == 1
    assert {t["function"]["name"] for t in asked[0]["tools"]} >= {"end_call"}
    assistant, tool = result[0]["messages"][-2:]
    call = assistant["tool_calls"][0]
    assert assistant["role"] == "assistant" and assistant["content"] is None
    assert call["function"]["name"] == "end_call" and json.loads(call["function"]["arguments"])["reason"]
    assert tool == {"role": "tool", "tool_call_id": call["id"], "content": TOOL_RESULT}
    assert next(r for r in report.probes if r.id == "tools").status == "passed"


async def test_the_long_call_is_long() -> None:
    async with MockServer(MockConfig(port=0)) as server:
        await run_check(Target(server.base_url, "mock-model"), "polyai")
        long = max(bodies(server), key=lambda b: len(b["messages"]))
    assert len(long["messages"]) == HISTORY_TURNS + 2
    assert long["messages"][0]["role"] == "system" and len(long["messages"][0]["content"].split()) > 3000
    roles = [m["role"] for m in long["messages"][1:]]
    assert roles == ["user", "assistant"] * (HISTORY_TURNS // 2) + ["user"]


async def test_the_barge_in_cuts_the_stream_and_sends_what_the_caller_heard() -> None:
    async with MockServer(MockConfig(port=0, tokens_per_s=200)) as server:  # paced: the cut comes mid-reply
        report = await run_check(Target(server.base_url, "mock-model"), "vapi")
        sent = bodies(server)
        cut = [r for r in server.requests if r.body and INTERRUPTED_TURN in r.body and NEXT_TURN not in r.body]
    next_turn = [b for b in sent if b["messages"][-1]["content"] == NEXT_TURN and len(b["messages"]) > 2]
    assert len(next_turn) == 1
    _system, interrupted, heard, user = next_turn[0]["messages"]
    assert (interrupted["content"], user["content"]) == (INTERRUPTED_TURN, NEXT_TURN)
    assert heard["role"] == "assistant" and heard["content"] == "You said: I "  # the first three words, no more
    assert cut and cut[0].error  # the mock saw the client hang up mid-reply
    line = next(r for r in report.probes if r.id == "barge-in")
    assert line.status == "passed" and "cut after a few words" in line.detail


async def test_the_multi_turn_probe_runs_after_a_tool_call_first_reply() -> None:
    async with MockServer(MockConfig(port=0, fault="tool-call-stop")) as server:
        report = await run_check(Target(server.base_url, "mock-model"), "vapi")
    conversation = next(r for r in report.probes if r.id == "conversation")
    assert conversation.status == "passed" and "not judged" not in conversation.detail
    assert ("tools.finish-reason-wrong", E) in {(f.id, f.severity) for f in report.findings}


async def test_playai_smoke_test_holds_the_capitalised_sentence_as_playai_matches_it() -> None:
    """Play.ai's reference server (playht/fake-llm) repeats the sentence only for one message that
    includes "The smoke test has passed." exactly; the probe must match it."""
    assert "The smoke test has passed." in SMOKE_TEST
    assert SMOKE_TEST.lower() == "repeat with me: the smoke test has passed."

    async def fake_llm(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        one = len(body["messages"]) == 1 and "The smoke test has passed." in body["messages"][0]["content"]
        text = "The smoke test has passed." if one else "I am a fake model."
        response = web.StreamResponse(headers={"Content-Type": wire.SSE_CONTENT_TYPE})
        await response.prepare(request)
        for piece in wire.split_words(text):
            delta = {"role": "assistant", "content": piece}
            await response.write(wire.sse_event(wire.chunk("chatcmpl-f", "m", 1, delta)))
        await response.write(wire.sse_event(wire.chunk("chatcmpl-f", "m", 1, {}, "stop")) + wire.SSE_DONE)
        return response

    async with serve({"/v1/chat/completions": fake_llm}) as base_url:
        report = await run_check(Target(base_url, "m"), "playai")
    assert "conversation.smoke-test-reply" not in report.ids


@asynccontextmanager
async def serve(routes: dict[str, object], catch_all: object | None = None) -> AsyncIterator[str]:
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_post(path, handler)
    if catch_all is not None:
        app.router.add_route("*", "/{tail:.*}", catch_all)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        await runner.cleanup()


async def test_a_catch_all_page_at_v1_gets_the_v1_hint_and_the_check_goes_on() -> None:
    """Play.ai's own reference server serves /chat/completions only and a 200 HTML page everywhere else."""
    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        reply = wire.completion(body["model"], "Hello there.", usage=wire.usage(1, 2))
        if not body.get("stream"):
            return web.json_response(reply)
        response = web.StreamResponse(headers={"Content-Type": wire.SSE_CONTENT_TYPE})
        await response.prepare(request)
        await response.write(wire.sse_event(wire.chunk(reply["id"], "m", 1, {"role": "assistant", "content": "Hello."}))
                             + wire.sse_event(wire.chunk(reply["id"], "m", 1, {}, "stop")) + wire.SSE_DONE)
        return response

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>Not here</body></html>", content_type="text/html")

    async with serve({"/chat/completions": chat}, catch_all=page) as base_url:
        report = await run_check(Target(base_url, "m"), "openai")
    errors = [f for f in report.findings if f.severity == E]
    assert [f.id for f in errors] == ["reachability.extra-v1"]
    assert "catch-all" in errors[0].message and base_url.removesuffix("/v1") in errors[0].hint
    assert next(r for r in report.probes if r.id == "conversation").status == "passed"


async def test_a_catch_all_page_that_no_base_url_fixes_is_judged_as_the_reply_it_is() -> None:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>Not here</body></html>", content_type="text/html")

    async with serve({}, catch_all=page) as base_url:
        report = await run_check(Target(base_url, "m"), "openai")
    assert "reachability.extra-v1" not in report.ids and not report.compatible
    assert {"stream.not-sse"} <= set(report.ids)
