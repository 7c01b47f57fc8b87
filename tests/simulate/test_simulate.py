"""Simulated calls played against the real mock over loopback, turn by turn, as each platform."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from workbench.simulate import AgentRun, load_agent, parse_agent
from workbench.mock import MockConfig, MockServer
from workbench.target import Target

AGENTS = Path(__file__).resolve().parents[2] / "profiles" / "agents"
SHIPPED = sorted(p.name for p in AGENTS.glob("*.toml") if p.name != "booking-replies.toml")
KEY = "sk-sim-0123456789abcdef"


@pytest.fixture
async def mock() -> AsyncIterator[MockServer]:
    async with MockServer(MockConfig(port=0)) as server:
        yield server


def target_for(server: MockServer, **changes: Any) -> Target:
    return Target(base_url=server.base_url, model="mock-model").with_(**changes)


def bodies(server: MockServer) -> list[dict[str, Any]]:
    """The JSON bodies of the chat requests the mock received, in order."""
    return [json.loads(r.body) for r in server.requests if r.path.endswith("/chat/completions")]


@pytest.mark.parametrize("name", SHIPPED)
async def test_every_shipped_agent_passes_against_the_echo_mock(name: str, mock: MockServer) -> None:
    agent = load_agent(AGENTS / name)
    report = await AgentRun(agent, target_for(mock)).run()
    assert report.problems == []
    assert report.passed
    assert len(report.turns) == len(agent.turns)
    # one request a turn, and one more for each tool result the platform sent back
    results = sum(call.result is not None for turn in report.turns for call in turn.tool_calls)
    assert len(bodies(mock)) == len(agent.turns) + results


async def test_the_booking_call_passes_with_its_scripted_replies() -> None:
    config = MockConfig(port=0, reply_file=AGENTS / "booking-replies.toml")
    async with MockServer(config) as server:
        report = await AgentRun(load_agent(AGENTS / "polyai-booking.toml"), target_for(server)).run()
    assert report.passed, report.problems
    replies = [t.reply for t in report.turns]
    assert replies[0].startswith("Of course! A table for four on Friday evening.")
    assert "Could I have a name" in replies[1]
    assert not any(r.startswith("You said:") for r in replies)  # every turn hit its scripted reply


async def test_each_turn_carries_the_earlier_replies_in_its_history(mock: MockServer) -> None:
    agent = load_agent(AGENTS / "polyai-booking.toml")
    report = await AgentRun(agent, target_for(mock)).run()
    sent = bodies(mock)
    assert len(sent) == 4
    for index, body in enumerate(sent):
        messages = body["messages"]
        assert messages[0] == {"role": "system", "content": agent.system_message}
        expected: list[dict[str, str]] = []
        for earlier in range(index):
            expected += [
                {"role": "user", "content": agent.turns[earlier].user},
                {"role": "assistant", "content": report.turns[earlier].reply},
            ]
        expected.append({"role": "user", "content": agent.turns[index].user})
        assert messages[1:] == expected
    # turn N+1 holds the assistant reply of turn N, as the mock received it
    assert sent[1]["messages"][2] == {"role": "assistant", "content": report.turns[0].reply}
    assert report.turns[0].reply == f"You said: {agent.turns[0].user}"


async def test_streamed_replies_are_carried_whole_into_the_history(mock: MockServer) -> None:
    agent = load_agent(AGENTS / "vapi-short.toml")
    pieces: list[tuple[int, str]] = []
    run = AgentRun(agent, target_for(mock), on_text=lambda turn, text: pieces.append((turn, text)))
    seen = [result.number async for result in run]  # turn by turn, as a UI would show them
    assert seen == [1, 2]
    first = run.report.turns[0]
    assert first.streamed
    assert "".join(text for turn, text in pieces if turn == 1) == first.reply
    assert len([p for p in pieces if p[0] == 1]) > 1  # it really came in pieces
    assert bodies(mock)[1]["messages"][-2] == {"role": "assistant", "content": first.reply}


async def test_requests_are_shaped_by_the_platform_and_the_agent_parameters(mock: MockServer) -> None:
    agent = parse_agent(
        'platform = "polyai"\n[parameters]\ntemperature = 0.2\nmax_tokens = 64\n'
        "[parameters.extra]\nseed = 7\n[[turns]]\nuser = \"hello\"\n",
        "params.toml",
    )
    await AgentRun(agent, target_for(mock)).run()
    body = bodies(mock)[0]
    assert body["temperature"] == 0.2  # the agent's own value over PolyAI's 0.7
    assert body["top_p"] == 1.0  # PolyAI's default, untouched
    assert body["max_tokens"] == 64 and body["seed"] == 7
    assert body["stream"] is False
    assert "frequency_penalty" in body  # the extra fields PolyAI sends

    vapi = parse_agent('platform = "vapi"\n[[turns]]\nuser = "hello"\n', "vapi.toml")
    await AgentRun(vapi, target_for(mock)).run()
    record = [r for r in mock.requests if r.path.endswith("/chat/completions")][-1]
    body = json.loads(record.body)
    assert body["stream"] is True and body["temperature"] == 0 and body["max_tokens"] == 250
    assert {"call", "metadata", "customer", "phoneNumber", "tools"} <= set(body)
    assert {k.lower(): v for k, v in record.headers.items()}["accept"] == "text/event-stream"


async def test_the_platform_auth_header_is_sent() -> None:
    async with MockServer(MockConfig(port=0, api_key=KEY)) as server:
        polyai = parse_agent('platform = "polyai"\n[[turns]]\nuser = "hi"\n', "a.toml")
        report = await AgentRun(polyai, target_for(server, auth="x-api-key", api_key=KEY)).run()
        assert report.passed, report.problems
        # Play.ai only sends Bearer, whatever the profile says
        playai = load_agent(AGENTS / "playai-smoke.toml")
        report = await AgentRun(playai, target_for(server, auth="x-api-key", api_key=KEY)).run()
        assert report.passed, report.problems
        auth = [r.auth_header for r in server.requests]
    assert auth == ["x-api-key", "authorization"]


async def test_a_failing_expectation_names_the_turn_what_was_expected_and_what_came(mock: MockServer) -> None:
    agent = parse_agent(
        'platform = "polyai"\n'
        '[[turns]]\nuser = "A table for two."\ncontains = "table"\n'
        '[[turns]]\nuser = "On Friday."\ncontains = "Saturday"\nmatches = "^Certainly"\n',
        "failing.toml",
    )
    report = await AgentRun(agent, target_for(mock)).run()
    assert not report.passed
    assert report.turns[0].passed
    assert report.problems == [
        'turn 2: expected the reply to contain "Saturday", but the reply was "You said: On Friday."',
        'turn 2: expected the reply to match /^Certainly/, but the reply was "You said: On Friday."',
    ]
    data = report.to_dict()
    assert data["passed"] is False
    # turn 1: reply, contains, first token, first sentence; turn 2: reply, contains, matches, both timings
    assert data["expectations"] == {"total": 9, "failed": 2}


@pytest.mark.parametrize("platform", ["polyai", "vapi"])  # one whole reply, one stream
async def test_a_first_token_over_budget_is_reported(platform: str) -> None:
    agent = parse_agent(f'platform = "{platform}"\n[[turns]]\nuser = "hi"\nfirst_token_ms = 50\n', "slow.toml")
    async with MockServer(MockConfig(port=0, ttft_ms=250)) as server:
        report = await AgentRun(agent, target_for(server)).run()
    turn = report.turns[0]
    assert not turn.passed
    assert turn.first_token_ms is not None and turn.first_token_ms >= 250
    (problem,) = report.problems
    assert problem.startswith("turn 1: expected the first token within 50 ms, but it came after ")


async def test_the_platform_budget_applies_when_the_turn_sets_none() -> None:
    agent = parse_agent('platform = "polyai"\n[[turns]]\nuser = "hi"\n', "default.toml")
    async with MockServer(MockConfig(port=0)) as server:
        report = await AgentRun(agent, target_for(server)).run()
    budget = next(e for e in report.turns[0].expectations if e.kind == "first_token_ms")
    assert budget.expected == "1000" and budget.passed


async def test_a_refused_turn_stops_the_call_with_a_sentence() -> None:
    agent = load_agent(AGENTS / "polyai-booking.toml")
    async with MockServer(MockConfig(port=0, fault="server-error")) as server:
        report = await AgentRun(agent, target_for(server)).run()
        assert len(server.requests) == 1  # nothing more is sent after a failed turn
    assert not report.passed
    (turn,) = report.turns
    assert turn.failure is not None and turn.status == 500
    assert turn.failure.message.startswith("expected HTTP 200, but the endpoint answered 500")
    assert report.stopped == "the call stopped after turn 1: its request failed, so 3 more turns could not be played"


async def test_an_error_body_with_http_200_is_an_empty_reply() -> None:
    agent = parse_agent('platform = "polyai"\n[[turns]]\nuser = "hi"\n', "e.toml")
    async with MockServer(MockConfig(port=0, fault="error-body-200")) as server:
        report = await AgentRun(agent, target_for(server)).run()
    problems = report.problems
    assert "turn 1: expected a reply, but it was empty (a voice agent would say nothing)" in problems


async def test_an_unreachable_endpoint_fails_the_first_turn_without_raising() -> None:
    agent = load_agent(AGENTS / "playai-smoke.toml")
    report = await AgentRun(agent, Target(base_url="http://127.0.0.1:9/v1", model="m")).run()
    assert not report.passed
    assert report.turns[0].failure is not None
    assert report.turns[0].failure.kind == "connection-refused"


async def test_a_cancelled_call_keeps_what_arrived_and_sends_no_more_turns() -> None:
    agent = load_agent(AGENTS / "vapi-short.toml")
    async with MockServer(MockConfig(port=0, tokens_per_s=20)) as server:
        run = AgentRun(agent, target_for(server))
        run.on_text = lambda turn, text: run.cancel()  # stop at the first piece of the reply
        report = await run.run()
        for _ in range(200):  # the mock logs a request when its reply ends: the cut stream, here
            if server.requests:
                break
            await asyncio.sleep(0.01)
        users = [body["messages"][-1]["content"] for body in bodies(server)]
        assert users == [agent.turns[0].user]
    (turn,) = report.turns
    assert turn.failure is not None and turn.failure.kind == "cancelled"
    assert turn.reply  # what arrived before the cancel is kept
    assert report.stopped == "the call was cancelled during turn 1"
    assert not report.passed


@pytest.mark.parametrize("platform", ["pipecat", "livekit"])
async def test_a_call_as_pipecat_or_livekit_streams_with_usage_every_turn(mock: MockServer, platform: str) -> None:
    agent = parse_agent(f'platform = "{platform}"\n[[turns]]\nuser = "hello"\n[[turns]]\nuser = "and again"\n',
                        f"{platform}.toml")
    report = await AgentRun(agent, target_for(mock)).run()
    assert report.passed, report.problems
    sent = bodies(mock)
    assert len(sent) == 2
    assert all(body["stream"] is True and body["stream_options"] == {"include_usage": True} for body in sent)
    assert sent[1]["messages"][-2]["role"] == "assistant"  # the first reply carried into the second turn
