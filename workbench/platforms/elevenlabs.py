"""ElevenLabs Agents: a "custom LLM" that must stream, offered ElevenLabs' system tools.

What ElevenLabs sends a custom LLM server: `stream: true` (streaming is required),
`max_tokens`, a `tools` list carrying its system tools (end_call, transfer_to_number, …)
as OpenAI functions, a `user_id`, and `elevenlabs_extra_body` with the extra data the agent
is configured to pass. The values here are representative samples, not a real conversation.

Sources (elevenlabs/elevenlabs-docs, `fern/conversational-ai/pages/customization/custom-llm/
overview.mdx`): "must return responses in SSE format … end with data: [DONE]"; the system
tools' parameters as documented there ("Available system tools" and the example request; the
function descriptions are the docs' own, which they print cut short); a custom LLM gets no
cascade fallback, a failing turn is retried with the same LLM (llm-cascading page).
Unconfirmed: the timeouts, how the next request carries a tool result (the OpenAI convention
is used: the assistant message with `tool_calls`, then a `tool` message), and the text kept
after a barge-in. The docs' extra-body example request also shows `parallel_tool_calls: false`
and `stream_options: {"include_usage": true}`; their system-tools example does not, so neither
is sent here.
"""

from __future__ import annotations

from typing import Any

from workbench.platforms.base import Platform, function_tool
from workbench.platforms.sheet import (
    SetupSheet,
    SheetField,
    SheetProfile,
    ShownCredential,
    auth_notes,
    chat_url,
)
from workbench.target import Target, Timeouts

REASON = {"type": "string", "description": "The reason for the tool call."}

# The system tools an agent offers (each only when configured; these four are the common ones).
SYSTEM_TOOLS = [
    function_tool(
        "end_call",
        "Call this function to end the current conversation when the main task has been completed.",
        {"reason": REASON,
         "message": {"type": "string",
                     "description": "A farewell message to send to the user along right before ending the call."}},
        ["reason"],
    ),
    function_tool(
        "transfer_to_number",
        "Transfer the user to a human operator when they ask for one or the issue needs human judgment.",
        {"reason": REASON,
         "transfer_number": {"type": "string", "description": "The phone number to transfer to."},
         "client_message": {"type": "string", "description": "Message read to the client while waiting for transfer."},
         "agent_message": {"type": "string", "description": "Message for the human operator receiving the call."}},
        ["transfer_number", "client_message", "agent_message"],
    ),
    function_tool(
        "language_detection",
        "Change the conversation language when the user expresses a language preference explicitly.",
        {"reason": REASON,
         "language": {"type": "string",
                      "description": "The language to switch to. Must be one of language codes in tool description."}},
        ["reason", "language"],
    ),
    function_tool(
        "skip_turn",
        "Skip a turn when the user explicitly indicates they need a moment to think.",
        {"reason": {"type": "string", "description": "Optional free-form reason explaining why the pause is needed."}},
        [],
    ),
]


class ElevenLabs(Platform):
    def offered_tools(self, target: Target) -> list[dict[str, Any]]:
        return SYSTEM_TOOLS

    def extra_body(self, target: Target, *, stream: bool, turn: int) -> dict[str, Any]:
        return {
            "tools": self.offered_tools(target),
            "user_id": "workbench-sample-user",
            "elevenlabs_extra_body": {"conversation_id": "conv-workbench-sample", "turn": turn},
        }


def setup_sheet(profile: SheetProfile, spec: Platform, secret: ShownCredential) -> SetupSheet:
    """The sheet the developer hands over to point ElevenLabs at the endpoint."""
    secret_name = f"{profile.name}-llm-key"
    notes = [
        "In the agent's settings choose LLM: Custom LLM, then fill in the fields above.",
        (f'Store the key as a workspace secret (for example named "{secret_name}") and pick it as the API key; '
         "ElevenLabs sends it as Authorization: Bearer."),
        (f"ElevenLabs calls POST {chat_url(profile)} and always streams: "
         "the endpoint must answer with text/event-stream."),
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
