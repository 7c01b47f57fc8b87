"""An agent file made from a recorded call: the caller's turns and the platform's parameters, ready to replay.

A call that broke in production (recorded by `workbench proxy --log`) becomes a regression test:
`workbench simulate --from LOG --call N` writes this file, and `workbench simulate FILE --profile
fixed` plays the same caller against the fixed endpoint. From the call's longest request (its
whole history): the system prompt, every user message as a turn, temperature, top_p and
max_tokens, and the other body fields the platform sent (as [parameters.extra]) except those
the platform's own shaping adds again in a simulation (Vapi's `call`, say). Each turn carries,
as a comment, what the endpoint answered then as the platform kept it. No expectations are
written: add them where the call went wrong.
"""

from __future__ import annotations

from typing import Any

import tomli_w

from workbench import wire
from workbench.errors import UsageError
from workbench.platforms import get_platform
from workbench.simulate.agent_file import parse_agent
from workbench.target import Target

SET_BY_THE_SIMULATION = frozenset({"model", "messages", "stream", "temperature", "top_p", "max_tokens"})
COMMENT_CHARS = 200  # of a recorded reply, shown beside its turn


def agent_from_call(body: dict[str, Any], platform_id: str, *, name: str, description: str) -> str:
    """The agent file (TOML text) for a call whose latest request had `body`; UsageError if it has no caller turn."""
    platform = get_platform(platform_id)
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    turns = [(text, _reply_after(messages, index)) for index, m in enumerate(messages)
             if m.get("role") == "user" and (text := wire.content_text(m.get("content")).strip())]
    if not turns:
        raise UsageError("the recorded call has no caller turn (no user message with text) to play again.",
                         "pick another call with --call N; `workbench check --exchange LOG` lists them")
    head: dict[str, Any] = {"name": name, "platform": platform.id, "description": description}
    system = "\n\n".join(wire.content_text(m.get("content")).strip() for m in messages if m.get("role") == "system")
    if system:
        head["system_prompt"] = system
    parameters = _parameters(body, platform_id)
    if parameters:
        head["parameters"] = parameters
    parts = [(f"# Made by `workbench simulate --from` from a call recorded by `workbench proxy`.\n"
              f"# Play it: workbench simulate THIS_FILE --profile YOUR_PROFILE\n\n{tomli_w.dumps(head)}")]
    for text, reply in turns:
        said = f"# the endpoint answered then: {reply[:COMMENT_CHARS]!r}\n" if reply else ""
        parts.append(f"\n{said}[[turns]]\n{tomli_w.dumps({'user': text})}")
    written = "".join(parts)
    parse_agent(written, f"the agent made from call {name}")  # what it writes must load
    return written


def _reply_after(messages: list[dict[str, Any]], index: int) -> str:
    """The assistant's words that follow message `index` in the history (what the platform kept of the reply)."""
    for message in messages[index + 1 :]:
        if message.get("role") == "assistant":
            return wire.content_text(message.get("content")).strip()
        if message.get("role") == "user":
            return ""
    return ""


def _parameters(body: dict[str, Any], platform_id: str) -> dict[str, Any]:
    platform = get_platform(platform_id)
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
    added = set(platform.extra_body(Target(base_url="http://x/v1", model="m"), stream=True, turn=0))
    extra = {k: v for k, v in body.items()
             if k not in SET_BY_THE_SIMULATION and k not in added and v is not None}
    if extra:
        parameters["extra"] = extra
    return parameters

