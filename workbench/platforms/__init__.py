"""The platforms a BYOM endpoint is checked against, by id: PLATFORMS and get_platform()."""

from __future__ import annotations

from workbench.errors import UsageError
from workbench.platforms.base import VOICE_FIRST_TOKEN_BUDGET_MS, Platform, PlatformRequest, ToolCall
from workbench.platforms.elevenlabs import ELEVENLABS
from workbench.platforms.livekit import LIVEKIT
from workbench.platforms.openai import OPENAI
from workbench.platforms.pipecat import PIPECAT
from workbench.platforms.playai import PLAYAI
from workbench.platforms.polyai import POLYAI
from workbench.platforms.polyant import POLYANT
from workbench.platforms.vapi import VAPI

# In the order DESIGN.md lists them.
PLATFORMS: dict[str, Platform] = {
    p.id: p for p in (POLYAI, PLAYAI, POLYANT, VAPI, ELEVENLABS, OPENAI, PIPECAT, LIVEKIT)
}


def get_platform(name: str) -> Platform:
    """The platform called `name` (case-insensitive); a UsageError naming the valid ones otherwise."""
    key = (name or "").strip().lower()
    try:
        return PLATFORMS[key]
    except KeyError:
        raise UsageError(
            f"unknown platform {name!r}.",
            f"use one of: {', '.join(PLATFORMS)}.",
        ) from None


__all__ = ["PLATFORMS", "VOICE_FIRST_TOKEN_BUDGET_MS", "Platform", "PlatformRequest", "ToolCall", "get_platform"]
