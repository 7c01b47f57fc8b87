"""Checks a chat/completions request body the way OpenAI does, naming the field that is wrong.

Every mistake becomes a BadRequest (-> 400) whose message says what was expected and what
came, worded like OpenAI's own errors; nothing here may raise anything else on bad input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

from workbench import wire

# Ranges OpenAI enforces on the sampling parameters.
NUMBER_RANGES = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "frequency_penalty": (-2.0, 2.0),
    "presence_penalty": (-2.0, 2.0),
}
POSITIVE_INTEGERS = ("max_tokens", "max_completion_tokens", "n")
CONTENT_REQUIRED = frozenset({"system", "developer", "user"})


class BadRequest(Exception):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


@dataclass(slots=True)
class ChatRequest:
    """The parts of a valid request the mock acts on."""

    body: dict[str, Any]
    model: str
    messages: list[dict[str, Any]]
    stream: bool
    include_usage: bool
    max_tokens: int | None
    tools: list[Any] | None


def json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages like 'expected a string, got a number'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def shown(text: str, limit: int = 60) -> str:
    """A value from the request, quoted for a message: cut short, so a huge value cannot flood the log."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _wrong_type(param: str, expected: str, value: Any) -> BadRequest:
    return BadRequest(f"Invalid type for '{param}': expected {expected}, but got {json_type(value)} instead.", param)


# json.loads spends more on its wrapper (two whitespace regexes, the checks around them) than
# the C scanner spends on a small body: the mock's hot path calls the scanner itself.
_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set in __init__; typeshed omits it


def _loads(text: str) -> Any:
    """json.loads(text), the same result or error; a body that is one object and nothing after it goes
    straight to the scanner."""
    if text[:1] == "{":
        try:
            body, end = _scan_json(text, 0)
        except (StopIteration, json.JSONDecodeError):
            pass  # json.loads says what is wrong, worded as it always is
        else:
            if end == len(text):
                return body
    return json.loads(text)


def parse_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise BadRequest("The request body is empty. Send a JSON object with 'model' and 'messages'.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(
            f"The request body is not valid UTF-8 (a bad byte at offset {error.start}). Send JSON encoded as UTF-8."
        ) from None
    try:
        body = _loads(text)
    except json.JSONDecodeError as error:
        raise BadRequest(
            f"We could not parse the JSON body of your request: {error.msg} at line {error.lineno} column "
            f"{error.colno}. Send a JSON object with 'model' and 'messages'."
        ) from None
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply.") from None
    if not isinstance(body, dict):
        raise BadRequest(f"The request body must be a JSON object, but got {json_type(body)} instead.")
    return body


def check_chat_request(raw: bytes) -> ChatRequest:
    body = parse_body(raw)
    model = body.get("model")
    if "model" not in body:
        raise BadRequest("Missing required parameter: 'model'.", "model")
    if not isinstance(model, str):
        raise _wrong_type("model", "a string", model)
    messages = body.get("messages")
    if "messages" not in body:
        raise BadRequest("Missing required parameter: 'messages'.", "messages")
    if not isinstance(messages, list):
        raise _wrong_type("messages", "an array of message objects", messages)
    if not messages:
        raise BadRequest(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            "messages",
        )
    for index, item in enumerate(messages):
        _check_message(index, item)
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise _wrong_type("stream", "a boolean", stream)
    include_usage = _include_usage(body.get("stream_options"))
    for name in body:  # only the parameters that came are looked at: most requests send few
        check = PARAM_CHECKS.get(name)
        if check is not None and body[name] is not None:
            check(name, body[name])
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    return ChatRequest(body, model, messages, stream, include_usage, max_tokens, body.get("tools"))


def _number_in_range(name: str, value: Any) -> None:
    low, high = NUMBER_RANGES[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _wrong_type(name, "a number", value)
    if not low <= value <= high:
        raise BadRequest(f"Invalid '{name}': expected a value from {low:g} to {high:g}, but got {value} instead.", name)


def _integer(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong_type(name, "an integer", value)


def _positive_integer(name: str, value: Any) -> None:
    _integer(name, value)
    if value < 1:
        raise BadRequest(f"Invalid '{name}': expected an integer of at least 1, but got {value} instead.", name)


def _array(name: str, value: Any) -> None:
    if not isinstance(value, list):
        raise _wrong_type(name, "an array", value)


# The optional parameters whose type the mock checks (null is always allowed), by name.
PARAM_CHECKS: dict[str, Callable[[str, Any], None]] = {
    **dict.fromkeys(NUMBER_RANGES, _number_in_range),
    **dict.fromkeys(POSITIVE_INTEGERS, _positive_integer),
    "seed": _integer,
    "tools": _array,
}


def _check_message(index: int, item: Any) -> None:
    where = f"messages[{index}]"
    if not isinstance(item, dict):
        raise _wrong_type(where, "an object", item)
    if "role" not in item:
        raise BadRequest(f"Missing required parameter: '{where}.role'.", f"{where}.role")
    role = item["role"]
    if not isinstance(role, str):
        raise _wrong_type(f"{where}.role", "a string", role)
    if role not in wire.ROLES:
        supported = ", ".join(f"'{r}'" for r in sorted(wire.ROLES))
        raise BadRequest(f"Invalid value for '{where}.role': {shown(role)}. Supported values are: {supported}.",
                         f"{where}.role")
    content = item.get("content")
    if content is None:
        if role in CONTENT_REQUIRED:
            raise BadRequest(f"Missing required parameter: '{where}.content'.", f"{where}.content")
        return
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        raise _wrong_type(f"{where}.content", "a string or an array of content parts", content)
    for part_index, part in enumerate(content):
        part_where = f"{where}.content[{part_index}]"
        if not isinstance(part, dict):
            raise _wrong_type(part_where, "an object", part)
        part_type = part.get("type")
        if not isinstance(part_type, str):
            raise BadRequest(f"Missing required parameter: '{part_where}.type'.", f"{part_where}.type")
        if part_type == "text" and not isinstance(part.get("text"), str):
            raise _wrong_type(f"{part_where}.text", "a string", part.get("text"))


def _include_usage(options: Any) -> bool:
    if options is None:
        return False
    if not isinstance(options, dict):
        raise _wrong_type("stream_options", "an object", options)
    include = options.get("include_usage", False)
    if include is None:
        return False
    if not isinstance(include, bool):
        raise _wrong_type("stream_options.include_usage", "a boolean", include)
    return include
