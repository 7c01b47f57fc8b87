"""Judging one turn of a simulated call: was the reply usable, and did it meet the turn's expectations.

Pure: `turn_result` reads a PlayedTurn (its Exchanges, tool calls, what the caller heard).
Whether a reply is usable at all is the Exchange's own judgement (`Exchange.problem()`, the same
one chat, check and bench ask); `judge_turn` then holds a usable reply and its timing against
what the agent file expects, `judge_tools` its tool calls (the one lint, workbench/tool_calls.py,
with each defect as bad as the platform makes it), `judge_reasoning` reasoning text read aloud.

A turn's first token and first sentence count from its first request: when the reply first calls
a tool, the caller waits through that request and the one carrying the result (the tool itself
takes no time here: its result is scripted). On an interrupted turn the expectations hold what
the caller heard before barging in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from workbench import speech, tool_calls, wire
from workbench.calls.long_call import size_of
from workbench.exchange import Exchange, Failure
from workbench.simulate.agent_file import Turn
from workbench.simulate.played import PlayedTurn, ToolCallResult

if TYPE_CHECKING:
    from workbench.platforms.base import Platform


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation on one turn: what was expected, whether it held, and a sentence saying so."""

    # reply | tool_call | tool | arguments | contains | matches | reasoning | first_token_ms | first_sentence_ms
    kind: str
    expected: str
    passed: bool
    message: str  # a whole sentence naming the turn, what was expected and what came
    summary: str = ""  # a few words for a checklist line ("contains \"table\"")
    hint: str = ""  # how to fix it, where the message alone does not say

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "expected": self.expected,
            "passed": self.passed,
            "message": self.message,
            "summary": self.summary,
            "hint": self.hint,
        }


@dataclass
class TurnResult:
    number: int  # 1-based
    user: str
    reply: str = ""
    first_token_ms: float | None = None
    first_sentence_ms: float | None = None  # the first speakable sentence (workbench/speech.py)
    total_ms: float | None = None
    status: int | None = None
    streamed: bool = False
    expectations: list[ExpectationResult] = field(default_factory=list)
    failure: Failure | None = None
    exchange: Exchange | None = None  # the request whose reply the caller heard (the last of the turn)
    exchanges: list[Exchange] = field(default_factory=list)  # every request of the turn, in order
    tool_calls: list[ToolCallResult] = field(default_factory=list)  # each with the result the platform sent
    interrupted: bool = False  # the caller barged in (interrupt_after_words)
    heard: str | None = None  # what the caller heard before barging in (what the platform keeps)
    notes: list[str] = field(default_factory=list)  # worth knowing, not failures (a warning-level lint, …)
    repeat: int = 1  # which play of its [[turns]] entry (repeat = N)
    repeats: int = 1

    @property
    def passed(self) -> bool:
        return self.failure is None and all(e.passed for e in self.expectations)

    @property
    def problems(self) -> list[str]:
        """Every sentence that says why this turn did not pass."""
        found = [f"turn {self.number}: {self.failure.message}"] if self.failure is not None else []
        return found + [e.message for e in self.expectations if not e.passed]

    def to_dict(self) -> dict[str, Any]:
        return {
            "turn": self.number,
            "user": self.user,
            "reply": self.reply,
            "passed": self.passed,
            "status": self.status,
            "streamed": self.streamed,
            "ttft_ms": _rounded(self.first_token_ms),
            "first_sentence_ms": _rounded(self.first_sentence_ms),
            "total_ms": _rounded(self.total_ms),
            "expectations": [e.to_dict() for e in self.expectations],
            "tool_calls": [call.to_dict() for call in self.tool_calls],
            "interrupted": self.interrupted,
            "heard": self.heard,
            "notes": list(self.notes),
            "requests": len(self.exchanges),
            "repeat": self.repeat,
            "repeats": self.repeats,
            "failure": (
                {"kind": self.failure.kind, "message": self.failure.message, "hint": self.failure.hint}
                if self.failure
                else None
            ),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def judge_turn(
    number: int,
    turn: Turn,
    reply: str,
    first_token_ms: float | None,
    budget_ms: float,
    *,
    first_sentence_ms: float | None = None,
    sentence_budget_ms: float | None = None,
) -> list[ExpectationResult]:
    """Pure: hold one turn's reply and timing against its expectations (the first sentence too when
    `sentence_budget_ms` is given)."""
    quoted_reply = _quote(reply)
    has_reply = bool(reply.strip())
    results = [
        ExpectationResult(
            "reply",
            "a non-empty reply",
            has_reply,
            f"turn {number}: expected a reply, "
            + (
                f"and {len(reply.split())} words came"
                if has_reply
                else "but it was empty (a voice agent would say nothing)"
            ),
            "a reply",
        )
    ]
    folded = reply.casefold()
    for text in turn.expect.contains:
        held = text.casefold() in folded
        results.append(
            ExpectationResult(
                "contains",
                text,
                held,
                f"turn {number}: expected the reply to contain {_quote(text)}, "
                + ("and it did" if held else f"but the reply was {quoted_reply}"),
                f"contains {_quote(text)}",
            )
        )
    if turn.expect.matches is not None:
        held = re.search(turn.expect.matches, reply) is not None
        results.append(
            ExpectationResult(
                "matches",
                turn.expect.matches,
                held,
                f"turn {number}: expected the reply to match /{turn.expect.matches}/, "
                + ("and it did" if held else f"but the reply was {quoted_reply}"),
                f"matches /{turn.expect.matches}/",
            )
        )
    if first_token_ms is None:
        results.append(
            ExpectationResult(
                "first_token_ms",
                f"{budget_ms:g}",
                False,
                f"turn {number}: expected the first token within {budget_ms:g} ms, but no token came",
                f"first token within {budget_ms:g} ms",
            )
        )
    else:
        held = first_token_ms <= budget_ms
        results.append(
            ExpectationResult(
                "first_token_ms",
                f"{budget_ms:g}",
                held,
                f"turn {number}: expected the first token within {budget_ms:g} ms, "
                + ("and" if held else "but") + f" it came after {first_token_ms:.0f} ms",
                f"first token within {budget_ms:g} ms ({first_token_ms:.0f} ms)",
            )
        )
    if sentence_budget_ms is not None:
        results.append(_sentence_expectation(number, first_sentence_ms, sentence_budget_ms))
    return results


def _sentence_expectation(number: int, first_sentence_ms: float | None, budget_ms: float) -> ExpectationResult:
    expected = f"turn {number}: expected the first sentence within {budget_ms:g} ms"
    summary = f"first sentence within {budget_ms:g} ms"
    if first_sentence_ms is None:
        return ExpectationResult("first_sentence_ms", f"{budget_ms:g}", False,
                                 f"{expected}, but the reply held no speakable sentence", summary)
    held = first_sentence_ms <= budget_ms
    return ExpectationResult(
        "first_sentence_ms", f"{budget_ms:g}", held,
        f"{expected}, " + ("and" if held else "but") + f" it came after {first_sentence_ms:.0f} ms"
        + ("" if held else " (the caller hears the first words, then silence)"),
        f"{summary} ({first_sentence_ms:.0f} ms)")


def _quote(text: str, limit: int = 160) -> str:
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return '"' + shown.replace("\n", " ") + '"'


def turn_failure(exchange: Exchange) -> Failure | None:
    """Why a turn got no usable reply, as the Exchange judges it, or None.

    A refusal reads as every turn sentence does, expected first: "expected HTTP 200, but the
    endpoint answered 401 Unauthorized: …". A refusal for the request's length (413, or a message
    about the context or its tokens: context_length_exceeded) also names the request's size.
    """
    problem = exchange.problem()
    if problem is None or exchange.failure is not None or exchange.status is None or 200 <= exchange.status < 300:
        return problem
    said = problem.message
    message = f"expected HTTP 200, but {said[:1].lower()}{said[1:]}"
    body = exchange.request.json
    messages = body.get("messages") if isinstance(body, dict) else None
    if _refused_for_length(exchange) and isinstance(messages, list):
        message += f" (the request held {size_of([m for m in messages if isinstance(m, dict)]).describe()})"
    return replace(problem, message=message)


_ABOUT_LENGTH = re.compile(r"context|too long|too large|maximum|tokens", re.IGNORECASE)


def _refused_for_length(exchange: Exchange) -> bool:
    said = exchange.server_message() or ""
    return exchange.status == 413 or (exchange.status == 400 and bool(_ABOUT_LENGTH.search(said)))


def turn_result(number: int, turn: Turn, played: PlayedTurn, platform: Platform) -> TurnResult:
    """Pure: one played turn read from its requests, held against the turn's expectations."""
    final = played.exchanges[-1]
    result = TurnResult(number=number, user=turn.user, streamed=played.stream, exchange=final,
                        exchanges=list(played.exchanges), tool_calls=list(played.tool_calls),
                        repeat=turn.repeat, repeats=turn.repeats)
    result.status = final.status
    result.reply = _reply(played.exchanges)
    single = len(played.exchanges) == 1 and final.timings.total_ms is not None
    result.total_ms = final.timings.total_ms if single else played.elapsed_ms
    result.first_token_ms = _heard_at(played, "first_token_ms")
    result.first_sentence_ms = _heard_at(played, "first_sentence_ms")
    result.interrupted = played.interrupted
    if played.interrupted:
        assert played.heard is not None
        result.heard = played.heard.spoken
        if speech.first_unit_end(result.heard) is None:
            result.first_sentence_ms = None  # the caller cut in before the first sentence was said
    result.failure = played.failure or (None if played.interrupted else turn_failure(final))
    tools, result.notes = judge_tools(number, turn, played, platform)
    reasoning, notes = judge_reasoning(number, played.exchanges, platform)
    result.notes += notes + _interrupt_notes(turn, played)
    if not (final.ok or played.interrupted):
        result.expectations = tools
        return result
    # A complete reply is held against the expectations even when it is unusable (an HTTP 200
    # error body is also an empty reply), so the report says everything that went wrong.
    budget = turn.expect.first_token_ms or float(platform.first_token_budget_ms)
    sentence_budget = turn.expect.first_sentence_ms or float(platform.first_token_budget_ms)
    said = result.heard if result.heard is not None else result.reply
    judged = judge_turn(number, turn, said, result.first_token_ms, budget, first_sentence_ms=result.first_sentence_ms,
                        sentence_budget_ms=sentence_budget)
    if played.interrupted and result.first_sentence_ms is None:
        judged = [e for e in judged if e.kind != "first_sentence_ms"]  # the caller cut in before it
    timing = [e for e in judged if e.kind in ("first_token_ms", "first_sentence_ms")]
    words = [e for e in judged if e not in timing]
    result.expectations = words[:1] + tools + words[1:] + reasoning + timing
    return result


def _reply(exchanges: list[Exchange]) -> str:
    """The words of the turn's replies: usually one; the text beside a tool call, then the reply after it."""
    texts = [e.reply_text for e in exchanges if e.reply_text.strip()]
    return texts[0] if len(texts) == 1 else " ".join(t.strip() for t in texts)


def _heard_at(played: PlayedTurn, name: str) -> float | None:
    """When the turn's first token (or first sentence) came, from its first request's start. A reply
    that is not streamed arrives whole: its first token is the whole reply."""
    for offset, exchange in zip(played.offsets_ms, played.exchanges, strict=True):
        value: float | None = getattr(exchange.timings, name)
        if value is None and name == "first_token_ms" and not played.stream and exchange.ok and exchange.reply_text:
            value = exchange.timings.total_ms
        if value is not None:
            return offset + value
    return None


def _interrupt_notes(turn: Turn, played: PlayedTurn) -> list[str]:
    words = turn.interrupt_after_words
    if words is None or played.interrupted:
        return []
    if not played.stream:
        return [f"the reply was not streamed, so the caller could not barge in after {words} words"]
    heard = played.heard.spoken if played.heard is not None else ""
    if played.exchanges[-1].ok:
        count = len(heard.split())
        return [(f"the reply ended after {count} word{'s' * (count != 1)}, before the caller could barge in "
                 f"after {words}")]
    return []


def judge_tools(number: int, turn: Turn, played: PlayedTurn,
                platform: Platform) -> tuple[list[ExpectationResult], list[str]]:
    """The turn's tool calls: the lint (an error on this platform fails the turn with its sentence, a
    warning is a note), then `expect_tool` and `expect_arguments`."""
    results: list[ExpectationResult] = []
    notes: list[str] = []
    for reply in played.tool_replies:
        for defect in tool_calls.lint(reply, played.offered):
            severity, why = tool_calls.severity(defect, reply, platform)
            if severity == "warning":
                notes.append(f"{defect.message}{why} {defect.hint}")
                continue
            results.append(ExpectationResult(
                "tool_call", f"a tool call {platform.title} can run", False,
                f"turn {number}: expected a tool call {platform.title} can run, but: {defect.message}{why}",
                f"a tool call {platform.title} can run", defect.hint))
    called = [call.name or "(no name)" for call in played.tool_calls]
    if called and not results:
        results.append(ExpectationResult(
            "tool_call", f"a tool call {platform.title} can run", True,
            f"turn {number}: expected tool calls {platform.title} can run, and {', '.join(called)} came well formed",
            f"tool call{'s' * (len(called) > 1)} well formed ({', '.join(called)})"))
    if turn.expect.tool is not None:
        results += _expected_tool(number, turn, played)
    return results, notes


def _expected_tool(number: int, turn: Turn, played: PlayedTurn) -> list[ExpectationResult]:
    name = turn.expect.tool
    assert name is not None
    call = next((c for c in played.tool_calls if c.name == name), None)
    if call is None:
        came = (f"it called {', '.join(c.name or '(no name)' for c in played.tool_calls)}" if played.tool_calls
                else f"no tool was called (the reply was {_quote(_reply(played.exchanges))})")
        return [ExpectationResult("tool", name, False, f"turn {number}: expected a call to {name}, but {came}",
                                  f"calls {name}",
                                  "Pass the request's `tools` to the model and stream its tool_calls back.")]
    results = [ExpectationResult("tool", name, True, f"turn {number}: expected a call to {name}, and it came",
                                 f"calls {name}")]
    arguments = call.parsed_arguments()
    for key, value in turn.expect.arguments.items():
        shown = f"{key} = {wire.dumps(value)}"
        if not isinstance(arguments, dict):
            came = f"its arguments are not a JSON object: {_quote(call.arguments)}"
        elif key not in arguments:
            came = f"its arguments have no {key!r}: {_quote(call.arguments)}"
        elif arguments[key] != value:
            came = f"it was {wire.dumps(arguments[key])}"
        else:
            came = ""
        results.append(ExpectationResult(
            "arguments", shown, not came,
            f"turn {number}: expected {name}'s arguments to hold {shown}, "
            + (f"but {came}" if came else "and they did"),
            f"{name} {shown}"))
    return results


def judge_reasoning(number: int, exchanges: list[Exchange],
                    platform: Platform) -> tuple[list[ExpectationResult], list[str]]:
    """Reasoning before the words: <think> text in the content is read aloud (unless the platform strips
    it): that fails the turn; reasoning the platform does not speak is silence, and a note says how long."""
    think = sum(e.timings.think_chars for e in exchanges)
    fields = sum(e.timings.reasoning_chars for e in exchanges)
    waited = next((e.timings.reasoning_ms for e in exchanges if e.timings.reasoning_ms is not None), None)
    lasted = f" ({waited:.0f} ms)" if waited is not None else ""
    if think and not platform.strips_think_tags:
        return [ExpectationResult(
            "reasoning", "no reasoning in the spoken text", False,
            f"turn {number}: expected words for the caller, but the reply began with {think} characters of "
            f"<think> reasoning{lasted} that {platform.title} would read aloud",
            "no reasoning read aloud",
            "Strip <think>…</think> before streaming (run the server with a reasoning parser, which moves it to "
            "reasoning_content), or turn reasoning off for voice.")], []
    silent = think + fields
    if silent:
        return [], [f"{silent} characters of reasoning came before the first word: silence for the caller{lasted}"]
    return [], []
