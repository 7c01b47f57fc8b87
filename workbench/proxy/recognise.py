"""Which platform sent a request: the one --as names, else one whose own field is unmistakable, else plain OpenAI.

Only a field no other caller sends counts: Vapi's `call` object (with `metadata`, `customer`
and `phoneNumber` beside it) and ElevenLabs' `elevenlabs_extra_body`. Headers are not used:
the platforms send the OpenAI SDK's, and so does everything else.
"""

from __future__ import annotations

from typing import Any

DEFAULT = "openai"


def recognise(body: Any, forced: str | None = None) -> tuple[str, str]:
    """(platform id, how it was known) for a request's parsed JSON body."""
    if forced:
        return forced, "--as"
    if isinstance(body, dict):
        if isinstance(body.get("call"), dict):
            return "vapi", "its `call` field"
        if "elevenlabs_extra_body" in body:
            return "elevenlabs", "its `elevenlabs_extra_body` field"
    return DEFAULT, "no platform's own field"
