"""Tool calls in a reply: assembled from a stream's deltas or read from a whole reply, then linted.

The one place that knows what a tool call on the wire must look like, so the check, simulate,
bench and the proxy agree (pure: parsed JSON in, data out; no I/O, no check machinery).

Assembly follows the OpenAI SDK: a fragment carrying an `id` or a `name` opens a call, the
fragments after it add to its `arguments` string; fragments are keyed by `index` when they
carry one. The lint names what a platform's parser trips on, each from a public report or
the platforms' own code (shared/PLATFORMS.md, research/platform-facts.md):
- `id` on the first fragment: LiveKit never emits a call without one; Pipecat sends the
  result back with `"id": null`, which the next request cannot pair (livekit/agents #1976).
- `index` on every fragment, counting 0, 1, 2 and the same on a call's later fragments:
  Pipecat keys calls on it and truncates the arguments otherwise (pipecat #4688).
- a `name` among the tools offered; `arguments` fragments that join into a JSON object
  *string* (Pipecat skips a call whose arguments do not parse, with only a log warning).
- `finish_reason: "tool_calls"`: vLLM #9209, LiteLLM #12862 and #22900 sent "stop", and a
  caller keyed on "tool_calls" never runs the tool (LiveKit and Pipecat fire on "stop" too).
- `content` null or empty beside the call: what a platform does with both is not the same
  everywhere (Pipecat drops the content, LiveKit keeps it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench import speech, wire

if TYPE_CHECKING:
    from workbench.platforms.base import Platform

FINISH_TOOL_CALLS = "tool_calls"


@dataclass
class AssembledToolCall:
    """One tool call as a client rebuilds it: the arguments are the fragments joined."""

    id: str | None
    index: int | None  # the index its first fragment carried (whole replies carry none)
    name: str  # "" when no fragment named the function
    arguments: str  # the fragments' arguments joined; a value that was not a string, as JSON
    fragments: int = 1

    def parsed_arguments(self) -> Any:
        """The arguments as JSON, or None when they do not parse."""
        try:
            return json.loads(self.arguments)
        except ValueError:
            return None


@dataclass
class ToolCallReply:
    """What a reply says about tool calls: the calls, how it ended, the text beside them."""

    calls: list[AssembledToolCall] = field(default_factory=list)
    finish_reason: str | None = None  # the last finish_reason given (None: none)
    content: str = ""  # content text that came with the calls
    streamed: bool = False
    fragments: list[dict[str, Any]] = field(default_factory=list)  # each tool_calls item as it came
    non_string_arguments: list[Any] = field(default_factory=list)  # `arguments` values that were not strings

    @property
    def called(self) -> bool:
        return bool(self.calls)


@dataclass(frozen=True)
class ToolCallDefect:
    """One thing wrong with a reply's tool calls: `code` names it, message and hint say what and how."""

    code: str
    message: str
    hint: str


# ---- assembly ------------------------------------------------------------------------------


def from_chunks(chunks: Iterable[Any]) -> ToolCallReply:
    """The tool calls of a stream, from its parsed chunk objects (anything else is skipped)."""
    reply = ToolCallReply(streamed=True)
    by_index: dict[int, AssembledToolCall] = {}
    for chunk in chunks:
        choice = _first_choice(chunk)
        if choice is None:
            continue
        delta = choice.get("delta")
        if isinstance(delta, dict):
            reply.content += wire.content_text(delta.get("content"))
            items = delta.get("tool_calls")
            for item in items if isinstance(items, list) else ([items] if isinstance(items, dict) else []):
                if isinstance(item, dict):
                    reply.fragments.append(item)
                    _add_fragment(reply, by_index, item)
        if choice.get("finish_reason") is not None:
            reply.finish_reason = choice["finish_reason"]
    return reply


def from_completion(body: Any) -> ToolCallReply:
    """The tool calls of a whole chat.completion (its first choice's message)."""
    reply = ToolCallReply(streamed=False)
    choice = _first_choice(body)
    if choice is None:
        return reply
    reply.finish_reason = choice.get("finish_reason")
    return from_message(choice.get("message"), reply)


def from_message(message: Any, reply: ToolCallReply | None = None) -> ToolCallReply:
    """The tool calls of one assistant message: a whole reply's, or one a call's history holds."""
    reply = reply if reply is not None else ToolCallReply(streamed=False)
    if not isinstance(message, dict):
        return reply
    reply.content = wire.content_text(message.get("content"))
    items = message.get("tool_calls")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        reply.fragments.append(item)
        function = _object(item.get("function"))
        reply.calls.append(AssembledToolCall(
            _text_or_none(item.get("id")), None, _text_or_none(function.get("name")) or "",
            _arguments_text(reply, function.get("arguments"))))
    return reply


def from_exchange(exchange: Any) -> ToolCallReply:
    """The tool calls of a recorded Exchange: its stream events, else its JSON body."""
    if exchange.events:
        return from_chunks(event.parsed for event in exchange.events)
    return from_completion(exchange.json())


def _first_choice(obj: Any) -> dict[str, Any] | None:
    if not isinstance(obj, dict):
        return None
    choices = obj.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    return choices[0]


def _add_fragment(reply: ToolCallReply, by_index: dict[int, AssembledToolCall], item: dict[str, Any]) -> None:
    """A fragment opens a call (it has an id or a name, or an index not seen yet) or adds to one."""
    function = _object(item.get("function"))
    raw_index = item.get("index")
    index = raw_index if isinstance(raw_index, int) and not isinstance(raw_index, bool) else None
    ident, name = _text_or_none(item.get("id")), _text_or_none(function.get("name"))
    arguments = _arguments_text(reply, function.get("arguments"))
    current = by_index.get(index) if index is not None else (reply.calls[-1] if reply.calls else None)
    opens = current is None or (ident is not None and ident != current.id) or (
        name is not None and bool(current.name) and index is None)
    if opens:
        call = AssembledToolCall(ident, index, name or "", arguments)
        reply.calls.append(call)
        if index is not None:
            by_index[index] = call
        return
    assert current is not None
    current.fragments += 1
    current.arguments += arguments
    current.id = current.id or ident
    current.name = current.name or name or ""


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _arguments_text(reply: ToolCallReply, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    reply.non_string_arguments.append(value)
    return wire.dumps(value)


# ---- lint ------------------------------------------------------------------------------------


def offered_names(tools: Any) -> list[str]:
    """The function names of an OpenAI `tools` list (what a request offered)."""
    names = []
    for tool in tools if isinstance(tools, list) else []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            names.append(function["name"])
    return names


def lint(reply: ToolCallReply, offered: list[str] | None) -> list[ToolCallDefect]:
    """What is wrong with the reply's tool calls (none when it made none). `offered`: the tool
    names the request offered (None: not known, so names are not judged)."""
    if not reply.called:
        return []
    defects: list[ToolCallDefect] = []
    if reply.streamed:
        defects += _lint_indexes(reply)
    for position, call in enumerate(reply.calls, start=1):
        defects += _lint_call(call, position, len(reply.calls), offered)
    if reply.non_string_arguments:
        value = reply.non_string_arguments[0]
        defects.append(ToolCallDefect(
            "arguments-not-string",
            f"function.arguments is a JSON {_json_kind(value)}, not a string: {_short(wire.dumps(value))}.",
            "Send arguments as a JSON-encoded string (json.dumps(args)), as OpenAI does."))
    defects += _lint_end(reply)
    return defects


def _lint_call(call: AssembledToolCall, position: int, count: int, offered: list[str] | None) -> list[ToolCallDefect]:
    which = f"tool call {position} of {count}" if count > 1 else "the tool call"
    named = f" ({call.name})" if call.name else ""
    out: list[ToolCallDefect] = []
    if call.id is None:
        out.append(ToolCallDefect(
            "id-missing", f"{which.capitalize()}{named} has no `id` on its first fragment.",
            "Give every tool call an id (\"call_…\") on its first fragment: the platform sends the result back "
            "with that id as tool_call_id, and LiveKit drops a call without one."))
    if not call.name:
        out.append(ToolCallDefect(
            "name-missing", f"{which.capitalize()} has no function name.",
            "Send function.name on the call's first fragment, one of the tools the request offered."))
    elif offered is not None and call.name not in offered:
        listed = ", ".join(offered) if offered else "none were offered"
        out.append(ToolCallDefect(
            "name-unknown", f"{which.capitalize()} names {call.name!r}, which the request did not offer ({listed}).",
            "Only call tools from the request's `tools` list; the platform cannot run any other."))
    out += _lint_arguments(call, which + named)
    return out


def _lint_arguments(call: AssembledToolCall, which: str) -> list[ToolCallDefect]:
    parsed = call.parsed_arguments()
    joined = f"the {call.fragments} argument fragments joined" if call.fragments > 1 else "the arguments"
    if parsed is None:
        return [ToolCallDefect(
            "arguments-not-json", f"For {which}, {joined} are not JSON: {_short(call.arguments) or '(empty)'}.",
            "Stream the arguments as pieces of one JSON object string that join exactly (`{}` when there are "
            "none); Pipecat skips a call whose arguments do not parse.")]
    if not isinstance(parsed, dict):
        return [ToolCallDefect(
            "arguments-not-object",
            f"For {which}, {joined} are JSON {_json_kind(parsed)}, not an object: {_short(call.arguments)}.",
            "The arguments are one JSON object of the tool's parameters, encoded once as a string "
            "(`{\"reason\": \"…\"}`, not `\"{\\\"reason\\\": …}\"`).")]
    return []


def _lint_indexes(reply: ToolCallReply) -> list[ToolCallDefect]:
    """Stream only: an index on every fragment, counting 0, 1, 2, the same on a call's later fragments."""
    missing = [f for f in reply.fragments if "index" not in f]
    if missing:
        return [ToolCallDefect(
            "index-missing", f"A tool_calls delta has no `index`: {_short(wire.dumps(missing[0]))}.",
            "Give every tool_calls delta its index (0 for the first call); clients merge the argument "
            "fragments by index and fail without it.")]
    opened: list[Any] = []
    for fragment in reply.fragments:
        index = fragment.get("index")
        function = _object(fragment.get("function"))
        opens = bool(fragment.get("id")) or bool(function.get("name"))
        if opens and index not in opened:
            if index != len(opened):
                return [_index_defect(f"a new call came with index {index!r} where {len(opened)} was due")]
            opened.append(index)
        elif index not in opened:
            return [_index_defect(f"a fragment came with index {index!r}, which no call opened "
                                  f"(open: {', '.join(map(str, opened)) or 'none'})")]
    return []


def _index_defect(what: str) -> ToolCallDefect:
    return ToolCallDefect(
        "index-inconsistent", f"The tool call indexes do not add up: {what}.",
        "Number calls 0, 1, 2 in the order they start, and repeat a call's index on every later fragment of "
        "it; clients that key fragments on the index cut the arguments short otherwise.")


def _lint_end(reply: ToolCallReply) -> list[ToolCallDefect]:
    out: list[ToolCallDefect] = []
    if reply.finish_reason != FINISH_TOOL_CALLS:
        came = "no finish_reason" if reply.finish_reason is None else f"finish_reason {reply.finish_reason!r}"
        out.append(ToolCallDefect(
            "finish-reason-wrong", f"The reply calls a tool but ends with {came}, not \"tool_calls\".",
            "End a reply that calls tools with finish_reason \"tool_calls\" (vLLM and LiteLLM have sent \"stop\": "
            "callers that wait for \"tool_calls\" never run the tool)."))
    said = speech.spoken_text(reply.content).strip()  # reasoning before the call is judged elsewhere
    if said:
        out.append(ToolCallDefect(
            "content-beside",
            f"The reply carries text beside its tool call: {_short(said)}.",
            "Send content null (or nothing) with a tool call; say the words in the reply that follows the tool's "
            "result. Platforms differ on what they do with both (Pipecat drops the text, LiveKit keeps it)."))
    return out


def severity(defect: ToolCallDefect, reply: ToolCallReply, platform: Platform) -> tuple[str, str]:
    """How bad `defect` is on `platform`: "error" (the platform cannot run the call, or pair its
    result) or "warning" (it runs it anyway), and a sentence saying why when platforms differ.

    The check's findings and simulate's turns both ask this. Where platforms differ, from their own
    code (research/platform-facts.md): with finish_reason "stop" LiveKit fires the call on
    "tool_calls" or "stop", Pipecat never reads finish_reason and runs the call when the stream
    ends; Vapi's custom-LLM guide and the OpenAI SDK's tool loop key on "tool_calls" (ElevenLabs:
    unconfirmed, treated the same). Text beside a call is a warning everywhere.
    """
    if defect.code == "content-beside":
        return "warning", ""
    if defect.code != "finish-reason-wrong":
        return "error", ""
    fires_on = platform.tool_call_fires_on
    if not platform_runs(reply, platform):
        return "error", f" {platform.title} never runs it."
    if fires_on is None:
        return "warning", (f" {platform.title} runs the call anyway (it never reads finish_reason); platforms that "
                           "wait for \"tool_calls\" never run it.")
    return "warning", (f" {platform.title} runs the call on {reply.finish_reason!r} too; platforms that wait "
                       "for \"tool_calls\" never run it.")


def platform_runs(reply: ToolCallReply, platform: Platform) -> bool:
    """Whether `platform` runs the reply's tool calls at all, given how the reply ended (see `severity`)."""
    fires_on = platform.tool_call_fires_on
    return fires_on is None or reply.finish_reason in fires_on


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _short(text: str, limit: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
