"""Schema rules: is a non-streaming 2xx reply a chat.completion a platform can read?

The official SDK builds its objects without validating them, so a reply missing `choices`,
carrying an error body, or with an empty message still "works" there and the voice agent
says nothing. These rules name each such defect with what came and what was expected.
"""

from __future__ import annotations

from typing import Any

from workbench import wire
from workbench.checks.evidence import excerpt, parse_json, quote_body
from workbench.checks.findings import Finding, finding
from workbench.checks.judging import Judging
from workbench.exchange import Exchange
from workbench.reply import carries_error

SPEC = "OpenAI's chat.completion object"


def judge_completion(exchange: Exchange, ctx: Judging) -> list[Finding]:
    """Findings for a non-streaming reply that came back with a 2xx status."""
    out: list[Finding] = []

    def add(id: str, severity: str, message: str, hint: str = "") -> None:
        out.append(finding(id, ctx.severity(severity), message, hint, probe=ctx.probe))

    if exchange.failure is not None and exchange.failure.kind == "connection-reset":
        add("schema.body-truncated", "error",
            f"The connection closed before the reply was complete: {exchange.failure.message} "
            f"({len(exchange.body)} bytes arrived: {quote_body(exchange, 80)}).",
            "Make sure the handler finishes writing the whole JSON body before it closes the connection "
            "(no crash after the status line, no proxy timeout).")
        return out
    if exchange.failure is not None and exchange.failure.kind in ("reply-timeout", "read-timeout", "body-too-large"):
        add("schema.body-incomplete", "error",
            f"The reply body never finished: {exchange.failure.message}",
            "Send the whole JSON completion at once, with a Content-Length (or a properly ended chunked "
            "body), and close it; a platform waits for the end of the body before it can speak.")
        return out
    if exchange.failure is not None and exchange.failure.kind == "protocol":
        add("schema.reply-failed", "error",
            f"The reply began (HTTP {exchange.status}) but broke the HTTP framing part way: {exchange.failure.message}",
            exchange.failure.hint or "Check the web server or framework in front of the model.")
        return out
    if exchange.failure is not None and exchange.failure.kind == "invalid-utf8":
        add("schema.invalid-utf8", "error", f"The body is not valid UTF-8: {exchange.failure.message}.",
            "Encode the JSON as UTF-8 (json.dumps(..., ensure_ascii=False).encode('utf-8')).")
        return out
    body, why = parse_json(exchange.body)
    if body is None:
        add("schema.not-json", "error",
            f"The reply is not JSON ({exchange.content_type or 'no content type'}: {quote_body(exchange)}; "
            f"parser said: {why}).",
            f"Return {SPEC} as JSON with Content-Type: application/json.")
        return out
    if carries_error(body):
        add("schema.error-body", "error",
            f"HTTP {exchange.status} carried an error instead of a reply: {quote_body(exchange)}. "
            "The OpenAI SDK accepts this without raising and the reply comes out empty, so the agent says nothing.",
            "Send errors with a 4xx/5xx status (and the OpenAI envelope {\"error\": {\"message\", \"type\"}}); "
            "a 200 must carry a chat.completion.")
        return out
    if not isinstance(body, dict):
        add("schema.not-object", "error", f"The reply is JSON but not an object: {quote_body(exchange)}.",
            f"Return {SPEC}: an object with id, object, created, model and choices.")
        return out
    if exchange.content_type != wire.JSON_CONTENT_TYPE:
        add("schema.content-type", "warning",
            f"The JSON reply is served as Content-Type: {exchange.content_type or '(none)'}.",
            "Send Content-Type: application/json; strict clients refuse other types.")
    out.extend(_envelope(body, ctx))
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        add("schema.choices-empty", "error",
            f"`choices` is {excerpt(repr(choices), 60)}; expected a list with at least one choice. "
            "The SDK returns this without raising and there is no reply to speak.",
            "Put the reply in choices[0].message.content.")
        return out
    out.extend(judge_choice(choices[0], ctx))
    out.extend(judge_usage(body.get("usage"), ctx, "schema"))
    return out


def _envelope(body: dict[str, Any], ctx: Judging) -> list[Finding]:
    out: list[Finding] = []
    missing = [name for name in ("id", "object", "created") if name not in body]
    if missing:
        out.append(finding(
            "schema.fields-missing", ctx.severity("error"),
            f"The completion lacks {', '.join(missing)}; the schema the platforms document requires them.",
            "Add id (\"chatcmpl-…\"), object (\"chat.completion\") and created (Unix seconds, an integer); "
            "typed clients refuse a completion without them.", probe=ctx.probe))
    if "object" in body and body["object"] != "chat.completion":
        out.append(finding(
            "schema.object-wrong", ctx.severity("error"),
            f"`object` is {body['object']!r}; expected \"chat.completion\".",
            "Set object to \"chat.completion\" for non-streaming replies "
            "(\"chat.completion.chunk\" is for stream chunks).",
            probe=ctx.probe))
    if "created" in body and (not isinstance(body["created"], int) or isinstance(body["created"], bool)):
        out.append(finding(
            "schema.created-type", ctx.severity("error"),
            f"`created` is {body['created']!r}; expected an integer count of seconds.",
            "Use int(time.time()), not a float or a date string.", probe=ctx.probe))
    if not isinstance(body.get("model"), str) or not body.get("model"):
        out.append(finding(
            "schema.model-missing", "warning",
            f"`model` is {body.get('model')!r}; expected the model's name as a string.",
            "Echo the requested model id in `model`.", probe=ctx.probe))
    return out


def judge_choice(choice: Any, ctx: Judging) -> list[Finding]:
    out: list[Finding] = []

    def add(id: str, severity: str, message: str, hint: str = "") -> None:
        out.append(finding(id, ctx.severity(severity), message, hint, probe=ctx.probe))

    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict):
        add("schema.message-missing", "error",
            f"choices[0] has no `message` object (got {excerpt(repr(choice), 80)}).",
            "Non-streaming replies carry choices[0].message = {\"role\": \"assistant\", \"content\": \"…\"}; "
            "`delta` is only for stream chunks.")
        return out
    role = message.get("role")
    if role is None:
        add("schema.role-missing", "warning", "choices[0].message has no `role`.",
            "Set role to \"assistant\"; clients that rebuild the history need it.")
    elif role != "assistant":
        add("schema.role-wrong", "warning", f"choices[0].message.role is {role!r}; expected \"assistant\".",
            "Set role to \"assistant\".")
    tool_calls = message.get("tool_calls")
    out.extend(judge_tool_calls(tool_calls, ctx, "schema", in_stream=False))
    content = message.get("content")
    if not tool_calls:
        if content is None:
            add("schema.content-null", "error",
                "choices[0].message.content is null and there are no tool calls: the agent would say nothing.",
                "Return the reply text in message.content.")
        elif isinstance(content, str) and not content.strip():
            add("schema.content-empty", "error",
                f"choices[0].message.content is {content!r}: the agent would say nothing.",
                "Return the reply text; if the model produced nothing, answer with an error status instead.")
        elif not isinstance(content, str):
            add("schema.content-not-string", "warning",
                f"choices[0].message.content is a {type(content).__name__}, not a string.",
                "Return the reply as a plain string; voice platforms speak strings.")
    out.extend(judge_finish_reason(choice.get("finish_reason"), "finish_reason" in choice, ctx, "schema"))
    return out


def judge_finish_reason(value: Any, present: bool, ctx: Judging, category: str) -> list[Finding]:
    where = "choices[0].finish_reason" if category == "schema" else "no chunk's finish_reason"
    hint = "End with finish_reason \"stop\" (or \"length\" when cut by max_tokens, \"tool_calls\" for a tool call)."
    if value is None:
        said = "is missing" if not present else "is null"
        message = f"{where} {said}." if category == "schema" else "No chunk carries a finish_reason."
        return [finding(f"{category}.finish-reason-missing", "warning",
                        message + " Clients use it to know the turn is complete.", hint, probe=ctx.probe)]
    if value == "":
        return [finding(f"{category}.finish-reason-empty", "warning",
                        "finish_reason is an empty string; expected one of "
                        + ", ".join(sorted(wire.FINISH_REASONS)) + ".",
                        hint, probe=ctx.probe)]
    if value not in wire.FINISH_REASONS:
        return [finding(f"{category}.finish-reason-nonstandard", "warning",
                        f"finish_reason is {value!r}, not one of OpenAI's values "
                        f"({', '.join(sorted(wire.FINISH_REASONS))}).",
                        hint + " Map your engine's stop reason (e.g. end_turn, eos) to \"stop\".", probe=ctx.probe)]
    return []


def judge_tool_calls(tool_calls: Any, ctx: Judging, category: str, *, in_stream: bool) -> list[Finding]:
    """tool_calls: a list of {id, type, function: {name, arguments: string}}; stream deltas also carry index."""
    if tool_calls is None:
        return []
    out: list[Finding] = []
    calls = tool_calls if isinstance(tool_calls, list) else [tool_calls]
    for call in calls:
        if not isinstance(call, dict):
            continue
        if in_stream and "index" not in call:
            out.append(finding(
                f"{category}.tool-call-index-missing", ctx.severity("error"),
                f"A tool_calls delta has no `index`: {excerpt(wire.dumps(call), 120)}.",
                "Give every tool_calls delta its index (0 for the first call); clients merge the argument "
                "fragments by index and fail without it.", probe=ctx.probe))
        function = call.get("function")
        if isinstance(function, dict) and "arguments" in function and not isinstance(function["arguments"], str):
            out.append(finding(
                f"{category}.tool-arguments-not-string", ctx.severity("error"),
                f"function.arguments is a JSON {type(function['arguments']).__name__}, not a string: "
                f"{excerpt(wire.dumps(function['arguments']), 80)}.",
                "Send arguments as a JSON-encoded string (json.dumps(args)), as OpenAI does.", probe=ctx.probe))
    return out


def judge_usage(usage: Any, ctx: Judging, category: str) -> list[Finding]:
    if usage is None:
        return []
    names = ("prompt_tokens", "completion_tokens", "total_tokens")
    if not isinstance(usage, dict) or not all(isinstance(usage.get(n), int) for n in names):
        return [finding(f"{category}.usage-malformed", "warning",
                        f"`usage` is {excerpt(repr(usage), 100)}; expected integer prompt_tokens, "
                        "completion_tokens and total_tokens.",
                        "Send all three counts as integers, or leave usage out.", probe=ctx.probe)]
    if usage["total_tokens"] != usage["prompt_tokens"] + usage["completion_tokens"]:
        return [finding(f"{category}.usage-inconsistent", "warning",
                        f"usage.total_tokens is {usage['total_tokens']}, but prompt_tokens + completion_tokens is "
                        f"{usage['prompt_tokens'] + usage['completion_tokens']}.",
                        "Make total_tokens the sum of the other two; billing and dashboards add them up.",
                        probe=ctx.probe)]
    return []

