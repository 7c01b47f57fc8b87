"""Streamed replies: the events of an Answer, framed as SSE (or misframed by a fault), paced and written.

`stream_steps` says what goes on the wire, in order; `write_steps` puts an unpaced stream
there, `pacer.PacedWriter` a paced one on time. Pacing follows one clock from the request's
arrival (first content token at ttft, then one token every 1/tokens_per_s), so timing does
not drift however long the stream runs. The role chunk goes out at once, so a client sees
the server alive before the first token.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring  # in C: a string as JSON, non-ASCII kept (ensure_ascii=False)
from typing import Any, ClassVar

from aiohttp import web

from workbench import wire
from workbench.mock.answer import Answer, finish_reason_for, inconsistent_usage, strip_ids, tool_call_deltas

NDJSON_CONTENT_TYPE = "application/x-ndjson"
KEEP_ALIVE = b": keep-alive\n\n"
MID_STREAM_ERROR = wire.error_envelope(
    "The model stopped generating: the server had an error while streaming.", "server_error", code="stream_error"
)


# Faults that change the content chunks themselves (the others only frame or surround them).
CONTENT_FAULTS = frozenset({"cumulative-deltas", "null-content", "invalid-json-chunk", "empty-choices-chunk",
                            "mid-stream-error", "drop-mid-stream"})


# How long each word of reasoning takes under the reasoning faults (a thinking model's pace).
REASONING_TOKEN_S = 0.02
# keep-generating's pace when --tokens-per-s sets none (40 tokens/s): its abandoned replies take time.
KEEP_GENERATING_TOKEN_S = 0.025


@dataclass(slots=True)
class Step:
    """Bytes to write; `token` marks a content token, which waits for its slot in the pacing;
    `pause_s` waits that long before the bytes, and the pacing's clock moves on by as much."""

    data: bytes
    token: bool = False
    pause_s: float = 0.0


@dataclass(slots=True)
class TokenRun:
    """Content tokens one after another, each its own chunk and its own slot in the pacing,
    framed only when it is written.

    One step for the lot: a paced token then costs no step object and no generator resuming
    of its own. With the pacer's short tick, a micro-benchmark of 1,000 paced streams read
    18-21 µs of Python a token against 26-28 µs (benchmarks/README.md, the mock's stream drift).
    """

    frame: Callable[[str], bytes]
    tokens: list[str]
    pause_s: ClassVar[float] = 0.0  # a run never waits before its first token beyond the pacing

    @property
    def data(self) -> bytes:
        """Every token's chunk, for a reply written all at once."""
        frame = self.frame
        return b"".join([frame(token) for token in self.tokens])


# Actions between steps.
STALL = Step(b"")
DROP = Step(b"")
FIRST_WORD_STALL = Step(b"")


@dataclass(frozen=True)
class Pacing:
    ttft_s: float = 0.0
    token_interval_s: float = 0.0  # 0: as fast as the socket takes it
    stall_s: float = 30.0
    first_word_stall_s: float = 2.5
    finish_after_hangup: bool = False  # keep-generating: a client that hangs up does not stop the reply


def framer(fault: str | None) -> Callable[[Any], bytes]:
    """How one event is framed on the wire under this fault."""
    if fault == "no-space":
        return lambda obj: b"data:" + _text(obj) + b"\n\n"
    if fault == "crlf":
        return lambda obj: b"data: " + _text(obj) + b"\r\n\r\n"
    if fault == "single-newline":
        return lambda obj: b"data: " + _text(obj) + b"\n"
    if fault == "ndjson":
        return lambda obj: _text(obj) + b"\n"
    return wire.sse_event


def _text(obj: Any) -> bytes:
    return (obj if isinstance(obj, str) else wire.dumps(obj)).encode()


def content_type(fault: str | None) -> str:
    if fault == "ndjson":
        return NDJSON_CONTENT_TYPE
    if fault == "wrong-content-type":
        return wire.JSON_CONTENT_TYPE
    return wire.SSE_CONTENT_TYPE


def stream_steps(answer: Answer, fault: str | None, *, include_usage: bool) -> Iterator[Step | TokenRun]:
    """Every write of the streamed reply, in order, shaped by the fault.

    Made as they are written, not all at once: when 200 requests land together, each
    reply's setup is what keeps the server from reading the next request (and stamping
    its arrival), so the chunks are framed one by one at their turn instead.
    """
    steps = _steps(answer, fault, include_usage=include_usage)
    return _with_keep_alives(steps) if fault == "keep-alive" else steps


def _steps(answer: Answer, fault: str | None, *, include_usage: bool) -> Iterator[Step | TokenRun]:
    frame = framer(fault)
    make = answer_chunk_maker(answer, strip=fault == "missing-fields")

    if fault != "no-role":
        role_delta: dict[str, Any] = {"role": "assistant", "content": None if fault == "null-content" else ""}
        yield Step(frame(make(role_delta)))
    if fault == "stall":
        yield STALL
    if answer.reasoning:
        yield from _reasoning_steps(answer, fault, frame, make)

    if answer.tool_name is not None:
        for index, delta in enumerate(tool_call_deltas(answer, fault)):
            yield Step(frame(make({"tool_calls": [delta]})), token=index == 0)
    elif fault != "empty-content":
        yield from _content_steps(answer, fault, frame, make)
        if fault in ("mid-stream-error", "drop-mid-stream"):
            return

    finish_reason = finish_reason_for(answer, fault)
    if finish_reason is not None:
        yield Step(frame(make({}, finish_reason)))
    if include_usage or fault == "no-usage-consistency":
        usage = inconsistent_usage(answer.usage) if fault == "no-usage-consistency" else answer.usage
        usage_obj = wire.usage_chunk(answer.id, answer.model, answer.created, usage)
        yield Step(frame(strip_ids(usage_obj) if fault == "missing-fields" else usage_obj))
    if fault not in ("no-done", "ndjson"):
        yield Step(frame(wire.DONE))


def _reasoning_steps(answer: Answer, fault: str | None, frame: Callable[[Any], bytes],
                     make: Callable[..., dict[str, Any]]) -> Iterator[Step]:
    """A thinking model's reasoning, a word every REASONING_TOKEN_S: in the content between <think>
    tags (reasoning-preamble), or in delta.reasoning_content (reasoning-content)."""
    words = [w for w in wire.split_words(answer.reasoning) if w]
    if fault == "reasoning-preamble":
        words = ["<think>", *words, "</think>\n\n"]
    field = "content" if fault == "reasoning-preamble" else "reasoning_content"
    for word in words:
        yield Step(frame(make({field: word})), pause_s=REASONING_TOKEN_S)


def _content_steps(answer: Answer, fault: str | None, frame: Callable[[Any], bytes],
                   make: Callable[..., dict[str, Any]]) -> Iterator[Step | TokenRun]:
    content_frame = content_framer(frame, make)
    tokens = answer.tokens
    if fault == "first-word-stall":
        for index, token in enumerate(tokens):
            yield Step(content_frame(token), token=True)
            if index == 0:
                yield FIRST_WORD_STALL
        return
    if fault == "keep-alive":
        for token in tokens:
            yield Step(content_frame(token), token=True)
        return
    if fault not in CONTENT_FAULTS:
        yield TokenRun(content_frame, tokens)
        return
    so_far = ""
    cut_at = 2 if fault in ("mid-stream-error", "drop-mid-stream") else len(tokens)
    broken = 1 if len(tokens) > 1 else 0  # invalid-json-chunk spoils the second chunk when there is one
    for index, token in enumerate(tokens[:cut_at]):
        so_far += token
        content: str | None = so_far if fault == "cumulative-deltas" else token
        if fault == "null-content":
            content = None
        data = content_frame(content)
        if fault == "invalid-json-chunk" and index == broken:
            payload = wire.dumps(make({"content": content}))
            data = frame(payload[: len(payload) // 2])
        yield Step(data, token=True)
        if fault == "empty-choices-chunk" and index == 0:
            yield Step(frame(wire.usage_chunk(answer.id, answer.model, answer.created, answer.usage)))
    if fault == "mid-stream-error":
        yield Step(frame(MID_STREAM_ERROR))
    elif fault == "drop-mid-stream":
        yield DROP


# A content string no request can make the mock say (checked: the slow way is kept for that case).
_MARK = "\x00workbench-token\x00"


def content_framer(frame: Callable[[Any], bytes], make: Callable[..., dict[str, Any]]) -> Callable[[str | None], bytes]:
    """Frames content chunks from one serialised template: only the token is serialised each time.

    The bytes are exactly those of `frame(make({"content": content}))`: the JSON of a value does
    not depend on the object around it. Framing a stream's chunks one by one cost most of the
    time a stream takes to set up.
    """
    template = frame(make({"content": _MARK}))
    mark = wire.dumps(_MARK).encode()
    if template.count(mark) != 1:  # the mark turned up elsewhere (a model name made to collide)
        return lambda content: frame(make({"content": content}))
    head, tail = template.split(mark)
    # A string straight to the C encoder: the encoder object's own method is a Python call a token.
    return lambda content: head + (
        encode_basestring(content) if content.__class__ is str else wire.dumps(content)).encode() + tail


def answer_chunk_maker(answer: Answer, *, strip: bool) -> Callable[..., dict[str, Any]]:
    def make(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        obj = wire.chunk(answer.id, answer.model, answer.created, delta, finish_reason)
        return strip_ids(obj) if strip else obj

    return make


def _with_keep_alives(steps: Iterator[Step | TokenRun]) -> Iterator[Step | TokenRun]:
    first = True
    for step in steps:
        if not first and step is not STALL and step is not DROP:
            yield Step(KEEP_ALIVE)
        first = False
        yield step


def pause_of(step: Step | TokenRun, pacing: Pacing) -> float:
    """How long to wait before this step's bytes: a stall, the first-word stall, or its own pause."""
    if step is STALL:
        return pacing.stall_s
    if step is FIRST_WORD_STALL:
        return pacing.first_word_stall_s
    return step.pause_s


async def write_steps(request: web.BaseRequest, response: web.StreamResponse, steps: Iterator[Step | TokenRun],
                      pacing: Pacing) -> bool:
    """Write an unpaced stream's steps (paced ones: pacer.py); False when the stream was cut on purpose
    (drop-mid-stream).

    Steps between pauses go out in one write: an unpaced reply costs one syscall. Each pause ends
    at a planned time (the previous one's plus the pause), so a loop that wakes late now and then
    does not stretch thirty reasoning words by thirty late wake-ups.
    """
    loop = asyncio.get_running_loop()
    planned = loop.time()
    pending: list[bytes] = []
    for step in steps:
        if step is DROP:
            if pending:
                await response.write(b"".join(pending))
            if request.transport is not None:
                request.transport.close()
            return False
        pause = pause_of(step, pacing)
        if pause:
            if pending:
                await response.write(b"".join(pending))
                pending.clear()
            planned += pause
            await asyncio.sleep(max(0.0, planned - loop.time()))
        data = step.data  # a run of tokens frames them all here: once
        if data:
            pending.append(data)
    if pending:
        await response.write(b"".join(pending))
    await response.write_eof()
    return True
