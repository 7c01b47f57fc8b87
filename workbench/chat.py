"""One chat turn: a platform (or the profile itself) shapes the request, the client sends it.

This is the single "platform shapes -> client sends" step. `workbench chat`, the TUI's Chat and
Profiles screens, `workbench simulate` and `workbench bench` all go through `shape_turn` and
`Client.send`, so "send as Vapi" means the same bytes everywhere, and the stream choice is
honoured wherever the platform lets its users choose (Platform.streams).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench import wire
from workbench.client import Call, Client
from workbench.exchange import Exchange
from workbench.platforms import Platform, PlatformRequest, get_platform
from workbench.platforms.plain import PLAIN
from workbench.target import Target


def sender(platform: str | None) -> Platform:
    """The platform named (`--as`, "Send as"), or the profile itself when none is."""
    return get_platform(platform) if platform else PLAIN


def chat_messages(message: str, system: str | None = None) -> list[dict[str, str]]:
    messages = [wire.message("system", system)] if system else []
    messages.append(wire.message("user", message))
    return messages


def shape_turn(
    target: Target,
    messages: list[dict[str, Any]],
    *,
    platform: Platform = PLAIN,
    stream: bool | None = None,
    turn: int = 0,
    tools: bool = False,
) -> PlatformRequest:
    """The request `platform` sends for turn `turn` (from 0) of a call; `stream` is the user's
    choice (None: none made), honoured where the platform lets its users choose; `tools`: the
    request of an agent with tools (the platform's offered where it puts them)."""
    return platform.build_request(target, messages, stream=platform.streams(target, stream), turn=turn, tools=tools)


def start_turn(client: Client, request: PlatformRequest, platform: Platform = PLAIN) -> Call:
    """The call for one turn, labelled by who shaped it (nothing is sent until it is read)."""
    label = "chat" if platform is PLAIN else f"chat as {platform.id}"
    return client.send(request, label=label)


async def chat_once(
    target: Target,
    message: str,
    *,
    system: str | None = None,
    platform: Platform = PLAIN,
    stream: bool | None = None,
    on_request: Callable[[Exchange], None] | None = None,
    on_text: Callable[[str], None] | None = None,
) -> Exchange:
    """Send one user message; `on_text` gets the reply as it arrives. Failures are on the Exchange."""
    request = shape_turn(target, chat_messages(message, system), platform=platform, stream=stream)
    async with Client(target) as client:
        call = start_turn(client, request, platform)
        if on_request is not None:
            on_request(call.exchange)
        async for text in call:
            if on_text is not None:
                on_text(text)
        return call.exchange
