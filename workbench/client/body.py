"""The chat/completions body a target sends as itself (no platform's shape): its model, the messages, its parameters."""

from __future__ import annotations

from typing import Any

from workbench import wire
from workbench.target import Target


def chat_body(target: Target, messages: list[dict[str, Any]], *, stream: bool | None = None) -> dict[str, Any]:
    """The chat/completions body a target sends: its model, the messages, its parameters."""
    params = {k: v for k, v in target.params.items() if k not in ("model", "messages", "stream")}
    return wire.chat_request(target.model, messages, stream=target.stream if stream is None else stream, **params)
