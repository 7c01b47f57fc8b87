"""The documented list of faults the mock can inject, and which requests each one hits.

FAULTS is the one list: `workbench mock --list-faults` prints it and a test keeps the
README's table in step with it. Faults apply to POST chat/completions only; /models and
/health always answer correctly. Faults in STREAM_ONLY change nothing for a request without
`stream: true` (that request is answered correctly and is not counted as faulted).
"""

from __future__ import annotations

import random

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
    }
)


def applies_to(fault: str) -> str:
    """'streams' or 'all requests': the README table's column."""
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
