"""Judging one turn of a simulated call: was the reply usable, and did it meet the turn's expectations.

Pure: `turn_result` reads a played turn from its Exchange. Whether a reply is usable at all is
the Exchange's own judgement (`Exchange.problem()`, the same one chat, check and bench ask);
`judge_turn` then holds a usable reply and its timing against what the agent file expects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from workbench.exchange import Exchange, Failure
from workbench.simulate.agent_file import Turn


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation on one turn: what was expected, whether it held, and a sentence saying so."""

    kind: str  # reply | contains | matches | first_token_ms
    expected: str
    passed: bool
    message: str  # a whole sentence naming the turn, what was expected and what came
    summary: str = ""  # a few words for a checklist line ("contains \"table\"")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "expected": self.expected,
            "passed": self.passed,
            "message": self.message,
            "summary": self.summary,
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
    exchange: Exchange | None = None

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
) -> list[ExpectationResult]:
    """Pure: hold one turn's reply and timing against its expectations."""
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
    return results


def _quote(text: str, limit: int = 160) -> str:
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return '"' + shown.replace("\n", " ") + '"'


def turn_failure(exchange: Exchange) -> Failure | None:
    """Why a turn got no usable reply, as the Exchange judges it, or None.

    A refusal reads as every turn sentence does, expected first: "expected HTTP 200, but the
    endpoint answered 401 Unauthorized: …".
    """
    problem = exchange.problem()
    if problem is None or exchange.failure is not None or exchange.status is None or 200 <= exchange.status < 300:
        return problem
    said = problem.message
    return replace(problem, message=f"expected HTTP 200, but {said[:1].lower()}{said[1:]}")


def turn_result(
    number: int,
    turn: Turn,
    exchange: Exchange,
    budget_ms: float,
    *,
    streamed: bool,
    elapsed_ms: float | None = None,
) -> TurnResult:
    """Pure: one played turn read from its Exchange (`elapsed_ms`: the caller's clock, if the Exchange has none)."""
    result = TurnResult(number=number, user=turn.user, streamed=streamed, exchange=exchange)
    result.status = exchange.status
    result.reply = exchange.reply_text
    result.total_ms = exchange.timings.total_ms if exchange.timings.total_ms is not None else elapsed_ms
    # A reply that is not streamed arrives whole: its first token is the whole reply.
    result.first_token_ms = exchange.timings.first_token_ms
    if result.first_token_ms is None and not streamed and exchange.ok and result.reply:
        result.first_token_ms = result.total_ms
    result.first_sentence_ms = exchange.timings.first_sentence_ms
    result.failure = turn_failure(exchange)
    if exchange.ok:
        # A complete reply is held against the expectations even when it is unusable (an HTTP 200
        # error body is also an empty reply), so the report says everything that went wrong.
        result.expectations = judge_turn(number, turn, result.reply, result.first_token_ms, budget_ms)
    return result
