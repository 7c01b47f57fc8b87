"""Small helpers that quote what an endpoint sent, so every finding carries its evidence."""

from __future__ import annotations

import re
from typing import Any

from workbench import wire
from workbench.exchange import Exchange

_TRACEBACK = re.compile(
    r"Traceback \(most recent call last\)|^\s+at [\w$.<>]+ \(.*:\d+:\d+\)|Exception in thread|"
    r"File \"[^\"]+\", line \d+",
    re.MULTILINE,
)


def excerpt(text: str, limit: int = 160) -> str:
    """One line of at most `limit` characters, for quoting a body inside a sentence."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def quote_body(exchange: Exchange, limit: int = 160) -> str:
    if not exchange.body:
        return "an empty body"
    return f"`{excerpt(exchange.text, limit)}`"


def parse_json(raw: bytes | str) -> tuple[Any, str | None]:
    """(value, None) when `raw` is JSON, else (None, why not)."""
    try:
        return wire.loads(raw), None
    except (ValueError, UnicodeDecodeError) as error:
        return None, str(error)


def is_openai_error(obj: Any) -> bool:
    """OpenAI's envelope: {"error": {"message": "...", ...}}."""
    return isinstance(obj, dict) and isinstance(obj.get("error"), dict) and isinstance(
        obj["error"].get("message"), str
    )


def error_shape(exchange: Exchange) -> str:
    """A name for the shape of an error body: openai, nestjs, html, json, text, empty."""
    if not exchange.body:
        return "empty"
    obj, _ = parse_json(exchange.body)
    if is_openai_error(obj):
        return "openai"
    if isinstance(obj, dict) and {"statusCode", "message"} <= obj.keys():
        return "nestjs"
    if obj is not None:
        return "json"
    if exchange.content_type == "text/html" or exchange.text.lstrip().lower().startswith(("<!doctype", "<html")):
        return "html"
    return "text"


def has_traceback(text: str) -> bool:
    return bool(_TRACEBACK.search(text))


def status_line(exchange: Exchange) -> str:
    """`HTTP 404 Not Found` for the exchange's status."""
    if exchange.status is None:
        return "no HTTP status"
    reason = f" {exchange.reason}" if exchange.reason else ""
    return f"HTTP {exchange.status}{reason}"


def describe_reply(exchange: Exchange) -> str:
    """`HTTP 500 with application/json `{…}``: status, content type and a quote of the body."""
    kind = exchange.content_type or "no content type"
    return f"{status_line(exchange)} ({kind}) with {quote_body(exchange)}"


def unusable_reply(exchange: Exchange) -> str | None:
    """Why the exchange gave no usable reply, as evidence (its status, type and body, or the failure when no
    status came); None when the reply is usable."""
    problem = exchange.problem()
    if problem is None:
        return None
    return describe_reply(exchange) if exchange.status is not None else problem.message
