"""An agent file made from a recorded call: the caller's turns and the platform's parameters, ready to replay.

A call that broke in production (recorded by `workbench proxy --log`) becomes a regression test:
`workbench simulate --from LOG --call N` writes this file, and `workbench simulate FILE --profile
fixed` plays the same caller against the fixed endpoint. From the call's longest request (its
whole history): the system prompt, every user message as a turn, temperature, top_p and
max_tokens, and the other body fields the platform sent (as [parameters.extra]) except those
the platform's own shaping adds again in a simulation (Vapi's `call`, say). The tools the
request offered beyond the platform's own become [[tools]] tables, and what the platform
answered each tool call (its `tool` messages, matched by `tool_call_id`) becomes the turn's
[turns.tool_results], so the replayed call gets the same results back. Each turn carries, as
comments, what the endpoint answered then as the platform kept it: its words and the tools it
called. No expectations are written: add them where the call went wrong.
"""

from __future__ import annotations

from typing import Any

import tomli_w

from workbench import tool_calls, wire
from workbench.errors import UsageError
from workbench.platforms import get_platform
from workbench.platforms.base import Platform
from workbench.simulate.agent_file import FILE_TARGET, parse_agent, tool_name

SET_BY_THE_SIMULATION = frozenset({"model", "messages", "stream", "temperature", "top_p", "max_tokens", "tools"})
COMMENT_CHARS = 200  # of a recorded reply, shown beside its turn


def agent_from_call(body: dict[str, Any], platform_id: str, *, name: str, description: str) -> str:
    """The agent file (TOML text) for a call whose latest request had `body`; UsageError if it has no caller turn."""
    platform = get_platform(platform_id)
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    turns = [(index, text) for index, m in enumerate(messages)
             if m.get("role") == "user" and (text := wire.content_text(m.get("content")).strip())]
    if not turns:
        raise UsageError("the recorded call has no caller turn (no user message with text) to play again.",
                         "pick another call with --call N; `workbench check --exchange LOG` lists them")
    head: dict[str, Any] = {"name": name, "platform": platform.id, "description": description}
    system = "\n\n".join(wire.content_text(m.get("content")).strip() for m in messages if m.get("role") == "system")
    if system:
        head["system_prompt"] = system
    parameters = _parameters(body, platform)
    if parameters:
        head["parameters"] = parameters
    parts = [(f"# Made by `workbench simulate --from` from a call recorded by `workbench proxy`.\n"
              f"# Play it: workbench simulate THIS_FILE --profile YOUR_PROFILE\n\n{tomli_w.dumps(head)}")]
    tools, offered = _recorded_tools(body, platform)
    parts += [f"\n{text}" for text in tools]
    for index, text in turns:
        parts.append("\n" + _turn(text, _after(messages, index), offered))
    written = "".join(parts)
    parse_agent(written, f"the agent made from call {name}")  # what it writes must load
    return written


def _after(messages: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    """The messages between the user message at `index` and the next one: the reply, tool rounds included."""
    following: list[dict[str, Any]] = []
    for message in messages[index + 1 :]:
        if message.get("role") == "user":
            break
        following.append(message)
    return following


def _turn(text: str, reply: list[dict[str, Any]], offered: set[str]) -> str:
    """One [[turns]] entry: the caller's words, the recorded tool results, and what the endpoint did then."""
    comments: list[str] = []
    results: dict[str, str] = {}
    answered = {m.get("tool_call_id"): m.get("content") for m in reply if m.get("role") == "tool"}
    assistant = [m for m in reply if m.get("role") == "assistant"]
    for call in (c for m in assistant for c in tool_calls.from_message(m).calls if c.name):
        name = call.name
        comments.append(f"# the endpoint called then: {name}({call.arguments[:COMMENT_CHARS]})")
        result = answered.get(call.id)
        if result is None:
            continue
        result = result if isinstance(result, str) else wire.dumps(result)
        if name not in offered:
            comments.append(f"#   (its result is not kept: {name!r} is not among the tools this file offers)")
        elif name in results and results[name] != result:
            comments.append(f"#   (a second result for {name} is not kept, one a turn: {result[:COMMENT_CHARS]!r})")
        else:
            results.setdefault(name, result)
    words = " ".join(wire.content_text(m.get("content")).strip() for m in assistant).strip()
    if words:
        comments.insert(0, f"# the endpoint answered then: {words[:COMMENT_CHARS]!r}")
    entry: dict[str, Any] = {"user": text}
    if results:
        entry["tool_results"] = results
    return "".join(line + "\n" for line in comments) + _array_entry("turns", entry)


def _recorded_tools(body: dict[str, Any], platform: Platform) -> tuple[list[str], set[str]]:
    """The [[tools]] tables for the tools the request offered beyond the platform's own, and the names of
    every tool the file offers (the platform's own and those tables); a tool the file format cannot hold
    becomes a comment saying so."""
    own = {tool_name(tool) for tool in platform.offered_tools(FILE_TARGET)}
    offered, written = set(own), []
    recorded = body.get("tools")
    for tool in recorded if isinstance(recorded, list) else []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not (name := tool_name(tool)) or name in own:
            continue
        table = {"name": name, "parameters": function.get("parameters", {"type": "object", "properties": {}})}
        if function.get("description"):
            table["description"] = function["description"]
        try:
            text = _array_entry("tools", table)
            parse_agent(f'name = "t"\nplatform = "{platform.id}"\n{text}[[turns]]\nuser = "x"\n', "a recorded tool")
        except (TypeError, ValueError, UsageError):  # a null in its schema, or a schema the file refuses
            written.append(f"# the call also offered the tool {name!r}, which an agent file cannot hold as it came\n")
            continue
        offered.add(name)
        written.append(text)
    return written, offered


def _parameters(body: dict[str, Any], platform: Platform) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    for key, low, high in (("temperature", 0.0, 2.0), ("top_p", 0.0, 1.0)):
        value = body.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high:
            parameters[key] = value
    tokens = body.get("max_tokens")
    if type(tokens) is int and tokens >= 1:
        parameters["max_tokens"] = tokens
    if body.get("stream") is False and not platform.stream_required:
        parameters["stream"] = False
    added = set(platform.extra_body(FILE_TARGET, stream=True, turn=0))
    extra = {k: v for k, v in body.items()
             if k not in SET_BY_THE_SIMULATION and k not in added and v is not None}
    if extra:
        parameters["extra"] = extra
    return parameters


def _array_entry(name: str, table: dict[str, Any]) -> str:
    """`table` as one [[name]] entry, its sub-tables as [name.sub] headers (tomli_w would write a
    short array of tables inline, which a later [[name]] could not extend)."""
    text = tomli_w.dumps({name: table})
    return f"[[{name}]]" + text.removeprefix(f"[{name}]")
