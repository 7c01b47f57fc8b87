"""One chat turn with a target: build the body, stream the reply, return the Exchange."""

from __future__ import annotations

from collections.abc import Callable

from workbench import wire
from workbench.client import Client, chat_body
from workbench.exchange import Exchange
from workbench.target import Target


def chat_messages(message: str, system: str | None = None) -> list[dict[str, str]]:
    messages = [wire.message("system", system)] if system else []
    messages.append(wire.message("user", message))
    return messages


async def chat_once(
    target: Target,
    message: str,
    *,
    system: str | None = None,
    stream: bool | None = None,
    on_request: Callable[[Exchange], None] | None = None,
    on_text: Callable[[str], None] | None = None,
) -> Exchange:
    """Send one user message; `on_text` gets the reply as it arrives. Failures are on the Exchange."""
    body = chat_body(target, chat_messages(message, system), stream=stream)
    async with Client(target) as client:
        call = client.chat(body, raise_on_failure=False)
        if on_request is not None:
            on_request(call.exchange)
        async for text in call:
            if on_text is not None:
                on_text(text)
        return call.exchange
