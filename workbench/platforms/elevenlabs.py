"""ElevenLabs Agents: a "custom LLM" that must stream, offered ElevenLabs' system tools.

What ElevenLabs sends a custom LLM server: `stream: true` (streaming is required),
`max_tokens`, a `tools` list carrying its system tools (end_call, transfer_to_number, …)
as OpenAI functions, a `user_id`, and `elevenlabs_extra_body` with the extra data the agent
is configured to pass. The values here are representative samples, not a real conversation.
"""

from __future__ import annotations

from typing import Any

from workbench.platforms.base import Platform
from workbench.platforms.sheet import (
    SetupSheet,
    SheetField,
    SheetProfile,
    ShownCredential,
    auth_notes,
    chat_url,
)
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


def setup_sheet(profile: SheetProfile, spec: Platform, secret: ShownCredential) -> SetupSheet:
    """The sheet the developer hands over to point ElevenLabs at the endpoint."""
    secret_name = f"{profile.name}-llm-key"
    notes = [
        "In the agent's settings choose LLM: Custom LLM, then fill in the fields above.",
        f'Store the key as a workspace secret (for example named "{secret_name}") and pick it as the API key; '
        "ElevenLabs sends it as Authorization: Bearer.",
        f"ElevenLabs calls POST {chat_url(profile)} and always streams: "
        "the endpoint must answer with text/event-stream.",
        'Turn on "Custom LLM extra body" only if the endpoint reads elevenlabs_extra_body.',
    ]
    auth_notes(profile, spec, notes)
    return SetupSheet(
        platform=spec.id,
        platform_title=spec.title,
        profile=profile.name,
        intro="Settings for an ElevenLabs agent with a custom LLM.",
        fields=[
            SheetField("llm", "LLM", "Custom LLM"),
            SheetField("server_url", "Server URL", profile.base_url, "ElevenLabs calls this URL + /chat/completions"),
            SheetField("model_id", "Model ID", profile.model),
            SheetField("api_key_secret_name", "API key secret name", secret_name if profile.auth != "none" else ""),
            SheetField("api_key", "API key (secret value)", secret.field_value, secret.field_note),
        ],
        notes=notes,
    )


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
    setup_sheet=setup_sheet,
    defaults={"max_tokens": 250},
    docs="ElevenLabs Agents: Custom LLM",
)
