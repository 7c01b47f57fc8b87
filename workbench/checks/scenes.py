"""The check's call probes: a tool call and the turn that carries its result, a caller barging in,
and a long call. Each is several requests played as the platform plays them (workbench/calls,
workbench/tool_calls.py, the Platform's own shapes) and judged by the rules (tools,
conversation, latency). The runner starts them; each returns a Scene: findings, exchanges, a
line of detail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from workbench import tool_calls, wire
from workbench.calls import barge_in as barging
from workbench.calls import long_call
from workbench.checks.findings import Finding
from workbench.checks.judging import Judging
from workbench.checks.rules import conversation, latency, tools
from workbench.exchange import Exchange
from workbench.platforms.base import Platform, PlatformRequest
from workbench.target import Target

if TYPE_CHECKING:
    from workbench.client import Client

ASK_TO_END = "That's all, thank you. Please end the call now."
TOOL_RESULT = "Done: the call ends after your goodbye."

# Sends one request shaped by the platform as the named probe, records it, returns its Exchange.
Sender = Callable[[PlatformRequest, str], Awaitable[Exchange]]
# Records an exchange sent some other way (the barge-in's), under a probe id.
Recorder = Callable[[str, Exchange], None]


@dataclass
class Scene:
    findings: list[Finding] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    detail: str = ""
    skipped: bool = False


def sends_tools(platform: Platform, target: Target) -> bool:
    return bool(platform.offered_tools(target))


async def tool_call(platform: Platform, target: Target, ctx: Judging, send: Sender) -> Scene:
    """Ask in words to end the call with the platform's tools offered; if a tool is called, lint the
    call and send its result back as the platform does: that turn must get a usable reply."""
    offered = platform.offered_tools(target)
    names = tool_calls.offered_names(offered)
    messages = [wire.message("system", platform.system_prompt), wire.message("user", ASK_TO_END)]
    first = await send(platform.build_request(target, messages, turn=1, tools=True), "tools")
    scene = Scene(exchanges=[first])
    refused = tools.judge_refused(first, ctx, names)
    if refused:
        scene.findings, scene.detail = refused, "the turn offering tools failed"
        return scene
    reply = tool_calls.from_exchange(first)
    if not reply.called:
        scene.findings = tools.judge_not_called(first, ctx, names, ASK_TO_END)
        scene.detail = "answered in text: no tool called"
        return scene
    kind = "stream" if first.events else "schema"
    scene.findings = tools.judge_tool_calls(reply, ctx, kind, names)
    call = reply.calls[0]
    history = [*messages, *platform.tool_result_messages(call, TOOL_RESULT, spoken=reply.content.strip())]
    second = await send(platform.build_request(target, history, turn=2, tools=True), "tools.result")
    scene.exchanges.append(second)
    scene.findings += tools.judge_result_turn(second, replace(ctx, probe="tools.result"), call)
    ok = "a usable reply" if second.problem() is None else "no usable reply"
    scene.detail = f"called {call.name or '(no name)'}; the turn with its result got {ok}"
    return scene


async def long(platform: Platform, target: Target, ctx: Judging, send: Sender, short: Exchange) -> Scene:
    """A long system prompt and about 40 turns: a usable reply, and its first token against the short call's."""
    messages = long_call.long_call_messages()
    size = long_call.size_of(platform.shape_messages(messages))
    exchange = await send(platform.build_request(target, messages, turn=long_call.HISTORY_TURNS // 2), "long-call")
    scene = Scene(exchanges=[exchange])
    scene.findings = conversation.judge_long_call(exchange, ctx, size)
    if scene.findings:
        scene.detail = f"refused at {size.describe()}"
        return scene
    scene.findings = latency.judge_long_call(exchange, short, replace(ctx, probe="long-call"), size.describe())
    measured = latency.first_token_ms(exchange, ctx.stream)
    usual = latency.first_token_ms(short, ctx.stream)
    scene.detail = (f"{size.messages} messages: first token {_ms(measured)}"
                    + (f" (short call: {_ms(usual)})" if usual is not None else ""))
    return scene


async def barge_in(platform: Platform, target: Target, ctx: Judging, client: Client, send: Sender,
                   record: Recorder) -> Scene:
    """A turn with no interruption (the baseline), then a reply cut off after a few words and the next
    turn sent at once: that turn must work, and not wait for the abandoned reply. A delay is played
    a second time before it is reported, so one hiccup of a busy machine is not taken for it."""
    scene = Scene()
    baseline: Exchange | None = None
    played = None
    for attempt in range(2):
        baseline, played = await _interrupt_once(platform, target, client, send, record, scene)
        if played is None:
            scene.detail, scene.skipped = "not judged: a turn with no interruption already failed", True
            return scene
        scene.findings = conversation.judge_barge_in(played.next_turn, ctx, played.spoken)
        delayed = latency.judge_barge_in(played.next_turn, baseline, ctx)
        if scene.findings or not delayed:
            break
        if attempt == 1:
            scene.findings = delayed  # late twice running: the server was busy with the abandoned reply
    assert played is not None and baseline is not None
    cut = "cut after a few words" if played.cut else "ended before the caller could cut in"
    delay = played.delay_ms(baseline)
    scene.detail = f"reply {cut}; next turn's first token {_ms(played.next_turn.timings.first_token_ms)}" + (
        f" ({delay:+.0f} ms against no interruption)" if delay is not None else "")
    return scene


async def _interrupt_once(platform: Platform, target: Target, client: Client, send: Sender, record: Recorder,
                          scene: Scene) -> tuple[Exchange, barging.BargeIn | None]:
    """One baseline turn, then one barge-in; None for the barge-in when the baseline already failed."""
    history = [wire.message("system", platform.system_prompt)]
    baseline = await send(platform.build_request(
        target, [*history, wire.message("user", barging.NEXT_TURN)], stream=True, turn=1), "barge-in.baseline")
    scene.exchanges.append(baseline)
    if baseline.problem() is not None:
        return baseline, None
    played = await barging.barge_in(client, platform, target, history, label="check: barge-in")
    record("barge-in", played.interrupted)
    record("barge-in.next-turn", played.next_turn)
    scene.exchanges += [played.interrupted, played.next_turn]
    return baseline, played


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} ms"
