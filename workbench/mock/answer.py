"""One reply of the mock, before it is put on the wire: text, tokens, finish reason, usage.

Streaming and non-streaming replies are both built from an Answer, so the two agree on
the id, the words and the counts. Token counts are rough (one token a word; see wire).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from workbench import wire
from workbench.mock.validation import ChatRequest

TOOL_CALL_FAULTS = frozenset({"tool-call-no-index", "arguments-object"})


@dataclass
class Answer:
    id: str
    created: int
    model: str
    text: str
    finish_reason: str
    usage: dict[str, int]
    tool_name: str | None = None  # set when the reply is a tool call (tool-call faults)

    @cached_property
    def tokens(self) -> list[str]:
        """Stream deltas, a word each, joining back to `text` (split only when a reply needs them)."""
        return [t for t in wire.split_words(self.text) if t]

    @property
    def tool_arguments(self) -> dict[str, Any]:
        return {"text": self.text}


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    return sum(wire.count_tokens(wire.content_text(m.get("content"))) for m in messages)


def make_answer(request: ChatRequest, text: str, *, polyant: bool = False, fault: str | None = None) -> Answer:
    """The reply to `request`, cut at max_tokens (finish_reason "length") like a real model.

    Polyant ignores max_tokens, only ever says "stop" and reports zero usage (its docs say so).
    """
    finish_reason = "stop"
    if not polyant and request.max_tokens is not None:
        tokens = [t for t in wire.split_words(text) if t]
        if len(tokens) > request.max_tokens:
            text = "".join(tokens[: request.max_tokens])
            finish_reason = "length"
    usage = wire.usage(0, 0) if polyant else wire.usage(prompt_tokens(request.messages), wire.count_tokens(text))
    tool_name = None
    if fault in TOOL_CALL_FAULTS:
        tool_name = first_tool_name(request.tools) or "echo"
        finish_reason = "tool_calls"
    return Answer(wire.new_completion_id(), wire.now(), request.model, text, finish_reason, usage, tool_name)


def first_tool_name(tools: list[Any] | None) -> str | None:
    """The name of the first function tool the request offered, so a tool-call reply uses it."""
    for tool in tools or ():
        if isinstance(tool, dict):
            function = tool.get("function")
            name = function.get("name") if isinstance(function, dict) else None
            if isinstance(name, str):
                return name
    return None


def tool_call(answer: Answer, *, index: int | None, arguments_as_object: bool) -> dict[str, Any]:
    """A tool call as OpenAI sends it (index only in stream deltas), optionally malformed."""
    arguments: Any = answer.tool_arguments if arguments_as_object else wire.dumps(answer.tool_arguments)
    call: dict[str, Any] = {
        "id": "call_" + answer.id.removeprefix("chatcmpl-")[:24],
        "type": "function",
        "function": {"name": answer.tool_name, "arguments": arguments},
    }
    if index is not None:
        call = {"index": index, **call}
    return call


def inconsistent_usage(usage: dict[str, int]) -> dict[str, int]:
    """usage whose total is not prompt + completion (the no-usage-consistency fault)."""
    return {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"] + 7}


def strip_ids(obj: dict[str, Any]) -> dict[str, Any]:
    """The missing-fields fault: no id, object or created."""
    return {k: v for k, v in obj.items() if k not in ("id", "object", "created")}


def completion_bytes(answer: Answer, fault: str | None) -> bytes:
    """The non-streaming reply as it goes on the wire: a plain one the fast way, faults via completion_body."""
    if fault is None and answer.tool_name is None:
        return wire.completion_json(answer.model, answer.text, id=answer.id, created=answer.created,
                                    finish_reason=answer.finish_reason, usage=answer.usage).encode()
    return wire.dumps(completion_body(answer, fault)).encode()


def completion_body(answer: Answer, fault: str | None) -> dict[str, Any]:
    """The non-streaming chat.completion, shaped by the fault (if it applies to whole replies)."""
    content: str | None = answer.text
    if fault == "empty-content":
        content = ""
    elif fault == "null-content":
        content = None
    finish_reason: str | None = finish_reason_for(answer, fault)
    body = wire.completion(
        answer.model, content, id=answer.id, created=answer.created, finish_reason=finish_reason,
        usage=inconsistent_usage(answer.usage) if fault == "no-usage-consistency" else answer.usage,
    )
    message = body["choices"][0]["message"]
    if answer.tool_name is not None:
        message["content"] = None
        message["tool_calls"] = [tool_call(answer, index=None, arguments_as_object=fault == "arguments-object")]
    if fault == "no-role":
        del message["role"]
    if fault == "missing-fields":
        body = strip_ids(body)
    return body


def finish_reason_for(answer: Answer, fault: str | None) -> str | None:
    if fault == "empty-finish-reason":
        return ""
    if fault == "nonstandard-finish-reason":
        return "end_turn"
    if fault == "no-finish-reason":
        return None
    return answer.finish_reason
