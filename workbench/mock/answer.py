"""One reply of the mock, before it is put on the wire: text, tokens, finish reason, usage.

Streaming and non-streaming replies are both built from an Answer, so the two agree on
the id, the words and the counts. Token counts are rough (one token a word; see wire).

Tool calls: when the request offers tools and the last user message asks for one (it holds
every word of the tool's name: "please end the call" asks for `end_call` or `endCall`), the
reply calls that tool; the next request, which carries the tool's result in a `tool` message,
gets a text reply. The tool-call faults make every other reply a tool call too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from workbench import wire
from workbench.mock.faults import OFFERED_TOOL_FAULTS, TOOL_CALL_FAULTS, prompt_tokens
from workbench.mock.validation import ChatRequest

# Reasoning a "thinking" model emits before its answer (the reasoning faults).
REASONING = ("Okay, the caller is speaking to me. Let me think about what they want and how to answer "
             "them briefly and politely before I say anything out loud.")
_NAME_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


@dataclass
class Answer:
    id: str
    created: int
    model: str
    text: str
    finish_reason: str
    usage: dict[str, int]
    tool_name: str | None = None  # set when the reply is a tool call
    tool_args: dict[str, Any] = field(default_factory=dict)
    reasoning: str = ""  # reasoning text before the answer (the reasoning faults)

    @cached_property
    def tokens(self) -> list[str]:
        """Stream deltas, a word each, joining back to `text` (split only when a reply needs them)."""
        return [t for t in wire.split_words(self.text) if t]

    @property
    def tool_arguments(self) -> dict[str, Any]:
        return self.tool_args or {"text": self.text}


def make_answer(request: ChatRequest, text: str, *, polyant: bool = False, fault: str | None = None) -> Answer:
    """The reply to `request`, cut at max_tokens (finish_reason "length") like a real model.

    Polyant ignores max_tokens, only ever says "stop" and reports zero usage (its docs say so).
    """
    last = request.messages[-1]
    after_tool = last.get("role") == "tool"
    if after_tool:
        text = tool_result_reply(last)
    finish_reason = "stop"
    if not polyant and request.max_tokens is not None:
        tokens = [t for t in wire.split_words(text) if t]
        if len(tokens) > request.max_tokens:
            text = "".join(tokens[: request.max_tokens])
            finish_reason = "length"
    usage = wire.usage(0, 0) if polyant else wire.usage(prompt_tokens(request.messages), wire.count_tokens(text))
    answer = Answer(wire.new_completion_id(), wire.now(), request.model, text, finish_reason, usage)
    if fault in ("reasoning-preamble", "reasoning-content"):
        answer.reasoning = REASONING
    tool = None if after_tool else called_tool(request, fault)
    if tool is not None:
        answer.tool_name, answer.tool_args = tool
        answer.finish_reason = "tool_calls"
    return answer


def called_tool(request: ChatRequest, fault: str | None) -> tuple[str, dict[str, Any]] | None:
    """The tool this reply calls and its arguments: one the caller asked for, or any under a tool-call fault."""
    asked = asked_tool(request.tools, wire.last_user_text(request.messages))
    if asked is not None:
        return asked["function"]["name"], tool_arguments_for(asked, wire.last_user_text(request.messages))
    offered = first_tool_name(request.tools)
    if fault in OFFERED_TOOL_FAULTS:
        return (offered, {}) if offered else None
    if fault in TOOL_CALL_FAULTS:
        return offered or "echo", {}
    return None


def asked_tool(tools: list[Any] | None, user_text: str) -> dict[str, Any] | None:
    """The first function tool offered whose name's words all appear in the user's words, or None."""
    said = set(re.findall(r"[a-z0-9]+", user_text.lower()))
    for tool in tools or ():
        function = tool.get("function") if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str):
            continue
        words = {w.lower() for w in _NAME_WORDS.findall(name)}
        if words and words <= said:
            return dict(tool)
    return None


def tool_arguments_for(tool: dict[str, Any], user_text: str) -> dict[str, Any]:
    """Arguments for the tool's required parameters: the caller's words for text, 0 for numbers."""
    parameters = tool["function"].get("parameters")
    if not isinstance(parameters, dict) or not isinstance(parameters.get("properties"), dict):
        return {}
    listed = parameters.get("required")
    required: list[Any] = listed if isinstance(listed, list) else []
    arguments: dict[str, Any] = {}
    for name in required:
        spec = parameters["properties"].get(name)
        kind = spec.get("type") if isinstance(spec, dict) else "string"
        if kind in ("integer", "number"):
            arguments[name] = 0
        elif kind == "boolean":
            arguments[name] = True
        else:
            arguments[name] = f"The caller said: {user_text}"[:200]
    return arguments


def tool_result_reply(message: dict[str, Any]) -> str:
    """What the mock says once a tool has run: it read the result."""
    result = " ".join(wire.content_text(message.get("content")).split())
    return f"Done. The tool answered: {result[:200]}" if result else "Done."


def first_tool_name(tools: list[Any] | None) -> str | None:
    """The name of the first function tool the request offered, so a tool-call reply uses it."""
    for tool in tools or ():
        if isinstance(tool, dict):
            function = tool.get("function")
            name = function.get("name") if isinstance(function, dict) else None
            if isinstance(name, str):
                return name
    return None


def tool_call(answer: Answer, fault: str | None, *, index: int | None) -> dict[str, Any]:
    """A tool call as OpenAI sends it whole (index only in stream deltas), shaped by the fault."""
    arguments: Any = answer.tool_arguments if fault == "arguments-object" else wire.dumps(answer.tool_arguments)
    if fault == "tool-arguments-not-json" and index is None:
        arguments = arguments[: len(arguments) * 2 // 3]
    call: dict[str, Any] = {
        "id": tool_call_id(answer),
        "type": "function",
        "function": {"name": answer.tool_name, "arguments": arguments},
    }
    if fault == "tool-call-no-id":
        del call["id"]
    if index is not None and fault != "tool-call-no-index":
        call = {"index": index, **call}
    return call


def tool_call_id(answer: Answer) -> str:
    return "call_" + answer.id.removeprefix("chatcmpl-")[:24]


def tool_call_deltas(answer: Answer, fault: str | None) -> list[dict[str, Any]]:
    """The tool call as OpenAI streams it: id, type and name first, then the arguments in pieces."""
    if fault in ("arguments-object", "tool-call-no-index"):
        # In one delta, as these two faults always came: an object cannot be cut into pieces, and
        # a lone delta without an index shows the defect by itself.
        return [tool_call(answer, fault, index=0)]
    first = tool_call(answer, fault, index=0)
    arguments = wire.dumps(answer.tool_arguments)
    first["function"] = {"name": answer.tool_name, "arguments": ""}
    size = max(1, -(-len(arguments) // 3))
    pieces = [arguments[i : i + size] for i in range(0, len(arguments), size)]
    if fault == "tool-arguments-not-json" and len(pieces) > 1:
        pieces = pieces[:-1]
    rest: list[dict[str, Any]] = [{"function": {"arguments": piece}} for piece in pieces]
    if fault != "tool-call-no-index":
        rest = [{"index": 0, **delta} for delta in rest]
    return [first, *rest]


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
    if fault == "reasoning-preamble":
        content = f"<think>{answer.reasoning}</think>\n\n{answer.text}"
    elif fault == "empty-content":
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
        message["tool_calls"] = [tool_call(answer, fault, index=None)]
    if fault == "reasoning-content":
        message["reasoning_content"] = answer.reasoning
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
    if fault == "tool-call-stop" and answer.tool_name is not None:
        return "stop"
    return answer.finish_reason
