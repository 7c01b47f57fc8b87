"""The OpenAI chat/completions wire format: request bodies, reply objects and SSE framing.

Pure functions and data only (no I/O), shared by the mock, the client and the checks so
that all three agree byte for byte on what a well-formed exchange looks like.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
import random
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

CHAT_PATH = "/chat/completions"
MODELS_PATH = "/models"

SSE_CONTENT_TYPE = "text/event-stream"
JSON_CONTENT_TYPE = "application/json"
DONE = "[DONE]"
SSE_DONE = b"data: [DONE]\n\n"

# OpenAI's documented values; anything else is non-standard.
FINISH_REASONS = frozenset({"stop", "length", "tool_calls", "content_filter", "function_call"})
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})

# Parameters of chat/completions that take numbers, with the JSON type each must have.
NUMERIC_PARAMS = ("temperature", "top_p", "frequency_penalty", "presence_penalty")
INTEGER_PARAMS = ("max_tokens", "max_completion_tokens", "n", "seed")

_WORD = re.compile(r"\S+\s*|\s+")


# Ids need to be unique, not secret: a generator seeded once from the OS is enough, and it
# spares a getrandom() system call per reply on the mock's hot path.
_ids = random.Random()


def new_completion_id() -> str:
    """An id shaped like OpenAI's: `chatcmpl-` and 24 hex characters."""
    return "chatcmpl-" + format(_ids.getrandbits(96), "024x")


def now() -> int:
    """`created` is an integer count of seconds since the epoch."""
    return int(time.time())


def count_tokens(text: str) -> int:
    """Roughly one token a word: good enough for `usage`, and says so in the README."""
    return len(text.split())


def split_words(text: str) -> list[str]:
    """Split text into stream deltas of a word each, keeping the spaces so they join back exactly."""
    return _WORD.findall(text) or [text]


def content_text(content: Any) -> str:
    """The text of a message `content`, which may be a string, null, or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return "".join(p for p in parts if isinstance(p, str))
    return ""


def last_user_text(messages: list[dict[str, Any]]) -> str:
    """The text of the last user turn, as the PolyAI Flask sample echoes it."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


# ---- request bodies -------------------------------------------------------------------


def message(role: str, content: str) -> dict[str, Any]:
    return {"role": role, "content": content}


def chat_request(
    model: str,
    messages: list[dict[str, Any]],
    *,
    stream: bool = False,
    include_usage: bool = False,
    **params: Any,
) -> dict[str, Any]:
    """A chat/completions request body; `params` are copied as they are (None is left out)."""
    body: dict[str, Any] = {"model": model, "messages": messages}
    body.update({k: v for k, v in params.items() if v is not None})
    body["stream"] = stream
    if stream and include_usage:
        body["stream_options"] = {"include_usage": True}
    return body


# ---- reply objects --------------------------------------------------------------------


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def completion(
    model: str,
    content: str | None,
    *,
    id: str | None = None,
    created: int | None = None,
    finish_reason: str | None = "stop",
    usage: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A non-streaming `chat.completion` object with one choice."""
    body: dict[str, Any] = {
        "id": id or new_completion_id(),
        "object": "chat.completion",
        "created": created if created is not None else now(),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
    }
    if usage is not None:
        body["usage"] = usage
    return body


def completion_json(
    model: str, content: str, *, id: str, created: int, finish_reason: str, usage: dict[str, int]
) -> str:
    """`dumps(completion(...))` for a plain text reply, built as one string (the mock's hot path).

    Same text, character for character (a test holds it to that), in a quarter of the time:
    the encoder walks six nested containers, here only the strings are encoded. The numbers
    must be ints (not bools), as wire.usage and now() make them.
    """
    text = encode_basestring  # what the encoder does with a str when ensure_ascii is off
    return (
        f'{{"id":{text(id)},"object":"chat.completion","created":{created},"model":{text(model)},'
        f'"choices":[{{"index":0,"message":{{"role":"assistant","content":{text(content)}}},'
        f'"finish_reason":{text(finish_reason)}}}],"usage":{{"prompt_tokens":{usage["prompt_tokens"]},'
        f'"completion_tokens":{usage["completion_tokens"]},"total_tokens":{usage["total_tokens"]}}}}}'
    )


def chunk(
    id: str,
    model: str,
    created: int,
    delta: dict[str, Any],
    finish_reason: str | None = None,
) -> dict[str, Any]:
    """One `chat.completion.chunk` with one choice."""
    return {
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def usage_chunk(id: str, model: str, created: int, usage: dict[str, int]) -> dict[str, Any]:
    """The last chunk OpenAI sends when `stream_options.include_usage` is set: empty `choices`."""
    return {
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [],
        "usage": usage,
    }


def model_list(ids: Iterable[str], owned_by: str = "workbench", created: int | None = None) -> dict[str, Any]:
    stamp = created if created is not None else now()
    return {
        "object": "list",
        "data": [{"id": i, "object": "model", "created": stamp, "owned_by": owned_by} for i in ids],
    }


def error_envelope(
    message: str, type: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """OpenAI's error shape: `{"error": {"message", "type", "param", "code"}}`."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


# ---- SSE framing ----------------------------------------------------------------------


# One encoder for every call: json.dumps with options builds a new one each time, which the
# mock, serialising every chunk of every stream, notices.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dumps(obj: Any) -> str:
    """Compact JSON, as OpenAI sends it."""
    return _COMPACT.encode(obj)


def sse_event(data: Any) -> bytes:
    """One SSE event: `data: <json>` and a blank line. Strings are sent as they are."""
    text = data if isinstance(data, str) else dumps(data)
    return ("data: " + text + "\n\n").encode()


@dataclass
class SSEEvent:
    """One event as framed on the wire: its raw lines and the fields they carry."""

    raw: str
    data: str | None = None
    event: str | None = None
    id: str | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def is_done(self) -> bool:
        return self.data is not None and self.data.strip() == DONE

    @property
    def is_comment_only(self) -> bool:
        return self.data is None and self.event is None and bool(self.comments)


class SSEDecoder:
    """Incremental SSE parser (the WHATWG algorithm) that keeps each event's raw text.

    Feed it bytes split anywhere; it yields events as their terminating blank line arrives.
    Lines end in LF, CRLF or CR. `data:` with or without a space is accepted, comments
    (`: keep-alive`) are kept on the event so a check can report them. Lines longer than
    `max_line` are cut to that length so a hostile stream cannot grow memory without bound.
    """

    def __init__(self, max_line: int = 1 << 20) -> None:
        self.max_line = max_line
        self._buffer = ""
        self._pos = 0  # where the unread part of `_buffer` begins, while feed() is yielding
        self._pending_cr = False
        self._lines: list[str] = []
        self.lines_truncated = 0

    def feed(self, text: str) -> Iterator[SSEEvent]:
        if not text:
            return
        if self._pending_cr and text.startswith("\n"):
            text = text[1:]
        self._pending_cr = False
        # One pass over the text: line ends are found from a moving position, never by
        # rescanning or re-slicing the rest of the buffer for each line (that is quadratic,
        # and a gzip-compressed reply can inflate to megabytes of tiny lines in one read).
        buffer = (self._buffer[self._pos :] if self._pos else self._buffer) + text
        self._buffer, self._pos = buffer, 0
        size = len(buffer)
        pos = 0
        lf = buffer.find("\n")
        cr = buffer.find("\r")
        while lf != -1 or cr != -1:
            if cr == -1 or (lf != -1 and lf < cr):
                start, end = lf, lf + 1
            elif cr + 1 < size and buffer[cr + 1] == "\n":
                start, end = cr, cr + 2
            else:
                start, end = cr, cr + 1
                if end == size:
                    # A CR at the end of the buffer may be the first half of a CRLF.
                    self._pending_cr = True
            line = buffer[pos:start]
            pos = end
            if lf != -1 and lf < pos:
                lf = buffer.find("\n", pos)
            if cr != -1 and cr < pos:
                cr = buffer.find("\r", pos)
            if len(line) > self.max_line:
                line = line[: self.max_line]
                self.lines_truncated += 1
            event = self._line(line)
            if event is not None:
                self._pos = pos  # a consumer that stops here leaves the state whole
                yield event
        rest = buffer[pos:] if pos else buffer
        if len(rest) > self.max_line:
            rest = rest[: self.max_line]
            self.lines_truncated += 1
        self._buffer, self._pos = rest, 0

    @property
    def buffered(self) -> int:
        """Characters held while waiting for a line end; never more than `max_line`."""
        return len(self._buffer) - self._pos

    def close(self) -> Iterator[SSEEvent]:
        """End of stream: a last event without its blank line is still returned, flagged by the caller."""
        if self.buffered:
            event = self._line(self._buffer[self._pos :])
            self._buffer, self._pos = "", 0
            if event is not None:
                yield event
        if self._lines:
            yield _event_from_lines(self._lines)
            self._lines = []

    @property
    def pending(self) -> bool:
        """True when an event has started but its blank line has not arrived."""
        return bool(self._lines or self.buffered)

    def _line(self, line: str) -> SSEEvent | None:
        if line == "":
            if not self._lines:
                return None
            event = _event_from_lines(self._lines)
            self._lines = []
            return event
        self._lines.append(line)
        return None


def _event_from_lines(lines: list[str]) -> SSEEvent:
    event = SSEEvent(raw="\n".join(lines))
    data: list[str] = []
    for line in lines:
        if line.startswith(":"):
            event.comments.append(line[1:].lstrip(" "))
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "event":
            event.event = value
        elif name == "id":
            event.id = value
    if data:
        event.data = "\n".join(data)
    return event


# Deeper than any reply needs (a chunk is 5 levels deep), and far from Python's recursion
# limit, so that code walking a parsed value (repr, dumps, scrubbing) cannot overflow either.
MAX_JSON_DEPTH = 200


def loads(raw: str | bytes | bytearray) -> Any:
    """json.loads for what an endpoint sent: too deep a document is a ValueError, never a RecursionError.

    `[[[[…` a hundred thousand deep makes json.loads raise RecursionError, which code that
    catches ValueError (as every JSON caller does) lets escape as a crash.
    """
    try:
        value = json.loads(raw)
    except RecursionError:
        raise ValueError(f"the JSON is nested too deep (more than {MAX_JSON_DEPTH} levels)") from None
    if isinstance(value, (dict, list)) and _openings(raw) > MAX_JSON_DEPTH and _depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"the JSON is nested too deep (more than {MAX_JSON_DEPTH} levels)")
    return value


def _openings(raw: str | bytes | bytearray) -> int:
    """An upper bound of the nesting depth, at C speed, so ordinary documents are never walked."""
    if isinstance(raw, str):
        return raw.count("[") + raw.count("{")
    return raw.count(b"[") + raw.count(b"{")


def _depth(value: Any) -> int:
    """The nesting depth of a parsed value, walked without recursion; stops once past the limit."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > deepest:
            deepest = level
            if deepest > MAX_JSON_DEPTH:
                break
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def parse_sse(text: str) -> list[SSEEvent]:
    """All events of a complete SSE body."""
    decoder = SSEDecoder()
    events = list(decoder.feed(text))
    events.extend(decoder.close())
    return events


def delta_text(chunk_obj: Any) -> str:
    """The content text a parsed chunk adds (first choice), or "" when it carries none."""
    if not isinstance(chunk_obj, dict):
        return ""
    choices = chunk_obj.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return ""
    delta = choices[0].get("delta")
    if not isinstance(delta, dict):
        return ""
    content = delta.get("content")
    return content if isinstance(content, str) else ""
