"""One turn of a simulated call played as its platform plays it: the requests it takes, and what the caller heard.

A turn is one request, or several: when the reply calls tools, the platform runs them and sends
the next request with the assistant's tool calls and a `tool` message for each, exactly as
`Platform.tool_result_messages` shapes them, the result the agent file scripted for that tool
(or DEFAULT_TOOL_RESULT); the reply to that is what the caller hears. A turn with
`interrupt_after_words` is read through the one barge-in step (workbench/calls/barge_in.py
`listen`): after that many words the stream is cancelled, and the history holds what the
platform sends after a barge-in (`Platform.interrupted_history`). `play_turn` returns a
PlayedTurn; workbench/simulate/judge.py holds it against the turn's expectations.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from workbench import tool_calls, wire
from workbench.calls.barge_in import Heard, listen
from workbench.exchange import Exchange, Failure
from workbench.simulate.agent_file import Turn

if TYPE_CHECKING:
    from workbench.client import Call, Client
    from workbench.platforms.base import Platform, PlatformRequest
    from workbench.target import Target

# What the platform answers for a tool the agent file scripts no result for: the call goes on,
# as it would with a tool that worked, and the report says the result was not scripted.
DEFAULT_TOOL_RESULT = '{"ok": true}'
# Tool rounds in one turn before the caller hears words: past it the endpoint is calling tools in a loop.
MAX_TOOL_ROUNDS = 4


@dataclass
class ToolCallResult:
    """One tool call of a turn, as the report shows it: what was called, and what the platform answered."""

    name: str
    arguments: str  # the raw argument string, fragments joined as they came
    id: str | None
    result: str | None  # the `tool` message's content sent back; None: the platform did not run the call
    scripted: bool  # the result came from the turn's tool_results (False: DEFAULT_TOOL_RESULT)

    def parsed_arguments(self) -> Any:
        return tool_calls.AssembledToolCall(self.id, None, self.name, self.arguments).parsed_arguments()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments, "id": self.id, "result": self.result,
                "scripted": self.scripted}


@dataclass
class PlayedTurn:
    """Everything one turn sent and got, in order, before any judging."""

    stream: bool  # the requests were streamed
    exchanges: list[Exchange] = field(default_factory=list)
    offsets_ms: list[float] = field(default_factory=list)  # when each request began, from the turn's start
    tool_replies: list[tool_calls.ToolCallReply] = field(default_factory=list)  # each reply that called tools
    offered: list[str] = field(default_factory=list)  # the names of the tools each request offered
    tool_calls: list[ToolCallResult] = field(default_factory=list)
    heard: Heard | None = None  # set when the caller barged in (heard.cut) or could not (a reply too short)
    added: list[dict[str, Any]] = field(default_factory=list)  # what the platform adds to the history after the user
    failure: Failure | None = None  # the call died inside the turn after its first request (a tool result refused)
    elapsed_ms: float | None = None

    @property
    def interrupted(self) -> bool:
        return self.heard is not None and self.heard.cut

    @classmethod
    def single(cls, exchange: Exchange, *, elapsed_ms: float | None = None) -> PlayedTurn:
        """A turn of one request and no tools (a recorded exchange judged as a turn)."""
        return cls(stream=exchange.stream_requested, exchanges=[exchange], offsets_ms=[0.0], elapsed_ms=elapsed_ms)


@dataclass
class TurnPlayer:
    """Plays turns for one agent: the platform, the target with the agent's parameters, the tools offered."""

    platform: Platform
    target: Target
    tools: list[dict[str, Any]]  # every request offers these (the platform's own and the file's)
    stream: bool | None  # the agent's stream choice (None: the platform's)
    label: str

    def request(self, messages: list[dict[str, Any]], index: int) -> PlatformRequest:
        """The request for turn `index` (from 0), shaped by the platform, offering the agent's tools."""
        from workbench.chat import shape_turn

        request = shape_turn(self.target, messages, platform=self.platform, stream=self.stream, turn=index,
                             tools=bool(self.tools))
        if not self.tools or request.body.get("tools") == self.tools:
            return request
        body = dict(request.body)
        if "tools" in body:
            body["tools"] = self.tools  # where the platform put its own (Vapi and ElevenLabs always send them)
        else:
            body = self.platform.with_tools(self.target, body, self.tools)
        return replace(request, body=body)

    async def play(self, client: Client, messages: list[dict[str, Any]], index: int, turn: Turn, *,
                   on_text: Callable[[str], None] | None = None,
                   on_call: Callable[[Call | None], None] | None = None) -> PlayedTurn:
        """Play turn `index` (from 0) whose user message ends `messages`; `on_call` is told of each
        request in flight (so it can be cancelled) and of its end (None)."""
        played = PlayedTurn(stream=False, offered=tool_calls.offered_names(self.tools))
        started = time.perf_counter()
        history = list(messages)
        for round_number in range(MAX_TOOL_ROUNDS + 1):
            request = self.request(history, index)
            played.stream = request.stream
            played.offsets_ms.append((time.perf_counter() - started) * 1000 if round_number else 0.0)
            call = client.send(request, label=f"{self.label}: turn {index + 1}"
                               + (f", after tool result {round_number}" if round_number else ""))
            if on_call is not None:
                on_call(call)
            try:
                heard = await listen(call, after_words=turn.interrupt_after_words if request.stream else None,
                                     on_text=on_text)
            finally:
                if on_call is not None:
                    on_call(None)
            exchange = call.exchange
            played.exchanges.append(exchange)
            more = self._read(played, exchange, heard, turn, round_number)
            if not more:
                break
            played.added += more
            history += more
        played.elapsed_ms = (time.perf_counter() - started) * 1000
        return played

    def _read(self, played: PlayedTurn, exchange: Exchange, heard: Heard, turn: Turn,
              round_number: int) -> list[dict[str, Any]]:
        """Read one request's reply into `played`: the messages of the next request the platform sends in
        this turn (tool calls and their results), or [] when the turn ends here."""
        if turn.interrupt_after_words is not None:
            played.heard = heard
        if heard.cut:
            played.added += self.platform.interrupted_history(heard.spoken)
            return []
        problem = exchange.problem()
        if problem is not None:
            if round_number and not exchange.cancelled:  # (a cancel from the user is their own)
                played.failure = _result_refused(played.tool_calls[-1].name, problem)
            return []
        reply = tool_calls.from_exchange(exchange)
        if not reply.called:
            played.added.append(wire.message("assistant", exchange.reply_text))
            return []
        played.tool_replies.append(reply)
        if round_number == MAX_TOOL_ROUNDS:
            played.failure = Failure(
                "tool-loop",
                f"expected words for the caller after {MAX_TOOL_ROUNDS} tool results, but the endpoint called a tool "
                "again each time",
                "Answer in words once a tool's result has come back; a caller hears nothing while tools run.")
            return []
        if not tool_calls.platform_runs(reply, self.platform):
            # The platform never runs the calls (the reply ended with the wrong finish_reason): no result goes
            # back, the caller hears nothing, the call goes on with the next turn.
            played.tool_calls += [ToolCallResult(c.name, c.arguments, c.id, None, c.name in turn.tool_results)
                                  for c in reply.calls]
            return []
        return self._tool_results(played, reply, turn)

    def _tool_results(self, played: PlayedTurn, reply: tool_calls.ToolCallReply, turn: Turn) -> list[dict[str, Any]]:
        """The messages the platform sends after the reply's tool calls, each answered with its result."""
        messages: list[dict[str, Any]] = []
        spoken = reply.content.strip()
        for call in reply.calls:
            scripted = call.name in turn.tool_results
            result = turn.tool_results.get(call.name, DEFAULT_TOOL_RESULT)
            sent = self.platform.tool_result_messages(call, result, spoken=spoken)
            spoken = ""  # the text beside the calls is said once, with the first
            played.tool_calls.append(ToolCallResult(call.name, call.arguments, call.id, result if sent else None,
                                                    scripted))
            messages += sent
        return messages


def _result_refused(name: str, problem: Failure) -> Failure:
    said = problem.message
    return replace(problem, message=(f"expected a usable reply to the request carrying the result of "
                                     f"{name or 'the tool call'}, but {said[:1].lower()}{said[1:]} "
                                     "The call dies right after the tool."))
