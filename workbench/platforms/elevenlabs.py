"""ElevenLabs Agents: a "custom LLM" that must stream, offered ElevenLabs' system tools.

What ElevenLabs sends a custom LLM server: `stream: true` (streaming is required),
`max_tokens`, a `tools` list carrying its system tools (end_call, transfer_to_number, …)
as OpenAI functions, a `user_id`, and `elevenlabs_extra_body` with the extra data the agent
is configured to pass. The values here are representative samples, not a real conversation.
"""

from __future__ import annotations

from typing import Any

from workbench.platforms.base import Platform, SetupField
from workbench.target import Target, Timeouts


def _function(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


SYSTEM_TOOLS = [
    _function("end_call", "End the call when the user says goodbye or the task is done.",
              {"reason": {"type": "string"}}, ["reason"]),
    _function("transfer_to_number", "Transfer the call to a human operator.",
              {"transfer_number": {"type": "string"}, "client_message": {"type": "string"}},
              ["transfer_number"]),
    _function("language_detection", "Switch language when the user speaks another one.",
              {"reason": {"type": "string"}, "language": {"type": "string"}}, ["reason", "language"]),
    _function("skip_turn", "Wait silently when the user asks for a moment.",
              {"reason": {"type": "string"}}, []),
]


class ElevenLabs(Platform):
    def extra_body(self, target: Target, *, stream: bool, turn: int) -> dict[str, Any]:
        return {
            "tools": SYSTEM_TOOLS,
            "user_id": "workbench-sample-user",
            "elevenlabs_extra_body": {"conversation_id": "conv-workbench-sample", "turn": turn},
        }


ELEVENLABS = ElevenLabs(
    id="elevenlabs",
    title="ElevenLabs",
    auth_methods=("bearer",),
    default_auth="bearer",
    stream_default=True,
    stream_required=True,
    timeouts=Timeouts(connect=5.0, read=30.0, first_token=20.0),
    checklist=(
        "The server URL serves POST /chat/completions and streams (SSE) when stream: true.",
        "It tolerates a tools list with ElevenLabs' system tools, user_id and elevenlabs_extra_body.",
        "Tool calls, if it makes any, stream as OpenAI tool_calls deltas (with index, string arguments).",
        "It accepts the API key (stored as a secret) as Authorization: Bearer.",
        "The first token arrives quickly enough for a live conversation.",
    ),
    checklist_proof=(("reachability", "stream"), ("params",), ("stream",), ("auth",), ("latency",)),
    setup_fields=(
        SetupField("Server URL", "base_url", "ElevenLabs calls this URL + /chat/completions"),
        SetupField("Model ID", "model"),
        SetupField("API key (workspace secret)", "credential", "sent as Authorization: Bearer"),
    ),
    defaults={"max_tokens": 250},
    docs="ElevenLabs Agents: Custom LLM",
)
