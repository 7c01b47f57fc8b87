"""The documented list of faults the mock can inject, and which requests each one hits.

FAULTS is the one list: `workbench mock --list-faults` prints it and a test keeps the
README's table in step with it. Faults apply to POST chat/completions only; /models and
/health always answer correctly. Faults in STREAM_ONLY change nothing for a request without
`stream: true` (that request is answered correctly and is not counted as faulted).
"""

from __future__ import annotations

import random
from typing import Any

from workbench import wire

FAULTS: dict[str, str] = {
    "rate-limit": "429 with an OpenAI error envelope and retry-after: 1.",
    "server-error": "500 with an OpenAI error envelope (type server_error).",
    "error-body-200": "HTTP 200 whose JSON body is an OpenAI error envelope, not a completion.",
    "html-500": "500 with an HTML traceback page (text/html), not an OpenAI error shape.",
    "json-when-stream": "Answers stream:true with a whole chat.completion JSON (application/json).",
    "wrong-content-type": "A correct SSE body served as Content-Type: application/json.",
    "single-newline": 'Events end with one "\\n" instead of a blank line ("\\n\\n").',
    "invalid-json-chunk": "The second content chunk's data is cut short, so it is not JSON.",
    "no-done": "The stream ends without data: [DONE].",
    "no-finish-reason": "No chunk (or choice) carries a finish_reason.",
    "empty-finish-reason": 'finish_reason is "" instead of "stop".',
    "nonstandard-finish-reason": 'finish_reason is "end_turn", not an OpenAI value.',
    "no-role": "The first delta (non-streaming: the message) has no role.",
    "missing-fields": "Chunks and the completion lack id, object and created.",
    "drop-mid-stream": "Closes the connection after a few chunks, or halfway through a JSON body.",
    "stall": "Sends the role chunk, then nothing for stall_s seconds (default 30), then the rest; "
    "whole replies wait as long.",
    "slow-first-token": "The first content token (a whole reply) comes after ~3 s even when --ttft-ms is lower.",
    "cumulative-deltas": "Each delta repeats the whole text so far instead of only the new words.",
    "ndjson": "Newline-delimited JSON chunks (application/x-ndjson), no data: prefix, no [DONE].",
    "no-space": "data:{...} without the space after the colon (valid SSE: must not be flagged).",
    "keep-alive": '": keep-alive" comment lines between events (valid SSE).',
    "crlf": "CRLF line endings (valid SSE).",
    "empty-choices-chunk": "A valid usage chunk with choices [] in the middle of the stream.",
    "mid-stream-error": 'An {"error": ...} event after some content, then the stream ends.',
    "tool-call-no-index": "Answers with a tool_calls delta that has no index.",
    "arguments-object": "Answers with a tool call whose function.arguments is a JSON object, not a string.",
    "empty-content": 'Content "" (streams: no content deltas at all).',
    "null-content": "message.content is null (streams: every delta's content is null).",
    "reject-developer-role": '400 if any message has role "developer" (an older server).',
    "reject-array-content": "400 if any message content is an array of parts (a text-only server).",
    "ignore-x-api-key": "With an API key set, only Bearer is checked: x-api-key alone gets 401.",
    "redirect": "307 to the same path under /moved, which answers normally.",
    "no-usage-consistency": "usage.total_tokens is not prompt_tokens + completion_tokens "
    "(streams: the usage chunk is always sent).",
    "reasoning-preamble": "<think>…</think> reasoning text in the content before the answer "
    "(streamed: a word every 20 ms, about 0.6 s).",
    "reasoning-content": "Reasoning in delta.reasoning_content (message.reasoning_content) before the answer "
    "(streamed: a word every 20 ms, about 0.6 s of silence).",
    "first-word-stall": "The first word at once, then nothing for first_word_stall_s seconds (default 2.5), "
    "then the rest.",
    "keep-generating": "Goes on generating a reply after the client hangs up, one generation at a time "
    "(a single-worker server): the next request waits for the abandoned one. Tokens come at 40 a second "
    "unless --tokens-per-s sets a pace.",
    "context-limit": "400 context_length_exceeded when the messages hold more than context_tokens "
    "(default 2048, --context-tokens) tokens, counted a word a token.",
    "reject-stream-options": '400 "Unrecognized request argument supplied: stream_options" when the body '
    "has stream_options (an older server).",
    "tool-call-stop": 'Answers with a tool call ending with finish_reason "stop" instead of "tool_calls".',
    "tool-arguments-not-json": "Answers with a tool call whose argument fragments do not join into JSON "
    "(the last fragment is lost).",
    "tool-call-no-id": "Answers with a tool call that has no id.",
    "tool-result-500": 'A 500 when the request carries a tool result (a "tool" message).',
}

# Faults that only make sense for a streamed reply.
STREAM_ONLY: frozenset[str] = frozenset(
    {
        "json-when-stream",
        "wrong-content-type",
        "single-newline",
        "invalid-json-chunk",
        "no-done",
        "cumulative-deltas",
        "ndjson",
        "no-space",
        "keep-alive",
        "crlf",
        "empty-choices-chunk",
        "mid-stream-error",
        "tool-call-no-index",
        "first-word-stall",
    }
)

# Faults that make every reply a tool call (to the first tool offered, else `echo`), shaped wrong
# their way; a request whose last message is a tool result still gets text.
TOOL_CALL_FAULTS: frozenset[str] = frozenset(
    {"tool-call-no-index", "arguments-object", "tool-call-stop", "tool-arguments-not-json", "tool-call-no-id"}
)
# Of those, the ones a call's tool probe is about: they call a tool only when tools are offered, so a
# platform that offers none (PolyAI, Play.ai) hears text, and its check names no tool finding.
OFFERED_TOOL_FAULTS: frozenset[str] = frozenset({"tool-call-stop", "tool-arguments-not-json", "tool-call-no-id"})


# Faults that refuse only some requests: those whose body holds what the fault names.
CONDITIONAL: frozenset[str] = frozenset({"context-limit", "reject-stream-options", "tool-result-500"})


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    """The request's size as the mock counts it: a word a token."""
    return sum(wire.count_tokens(wire.content_text(m.get("content"))) for m in messages)


def condition_met(fault: str, body: dict[str, Any], messages: list[dict[str, Any]], context_tokens: int) -> bool:
    """Whether a CONDITIONAL fault hits this request (the others always do)."""
    if fault == "context-limit":
        return prompt_tokens(messages) > context_tokens
    if fault == "reject-stream-options":
        return "stream_options" in body
    if fault == "tool-result-500":
        return any(m.get("role") == "tool" for m in messages)
    return True


def refusal(fault: str, messages: list[dict[str, Any]], context_tokens: int) -> tuple[int, str, str | None, str | None]:
    """(status, message, param, code) of a CONDITIONAL fault's refusal, worded as OpenAI and vLLM word theirs."""
    if fault == "context-limit":
        return (400, (f"This model's maximum context length is {context_tokens} tokens. However, your messages "
                f"resulted in {prompt_tokens(messages)} tokens. Please reduce the length of the messages."),
                "messages", "context_length_exceeded")
    if fault == "reject-stream-options":
        return 400, "Unrecognized request argument supplied: stream_options", "stream_options", None
    return 500, "The server had an error while processing the tool result.", None, None


def applies_to(fault: str) -> str:
    """'streams', 'requests that offer tools' or 'all requests': the README table's column."""
    if fault in OFFERED_TOOL_FAULTS:
        return "requests that offer tools"
    return "streams" if fault in STREAM_ONLY else "all requests"


class FaultPicker:
    """Decides, request by request, whether the current fault applies (a share `rate` of them).

    Seeded for tests, so `--fault-rate 0.5 --seed 7` hits the same requests every run.
    Changed at run time by `MockServer.set_fault` (the TUI does).
    """

    __slots__ = ("_random", "fault", "rate")

    def __init__(self, fault: str | None, rate: float, seed: int | None) -> None:
        self.fault = fault
        self.rate = rate
        self._random = random.Random(seed)

    def set(self, fault: str | None, rate: float) -> None:
        self.fault = fault
        self.rate = rate

    def pick(self) -> str | None:
        """The fault for this request, or None."""
        fault = self.fault
        if fault is None or self.rate >= 1.0:
            return fault
        return fault if self._random.random() < self.rate else None


def markdown_table() -> str:
    """The README's fault table, made from FAULTS (a test keeps README.md equal to it)."""
    rows = ["| fault | applies to | what the mock does |", "| --- | --- | --- |"]
    for name, description in FAULTS.items():
        cell = description.replace("|", "\\|")
        rows.append(f"| `{name}` | {applies_to(name)} | {cell} |")
    return "\n".join(rows)
