"""Vapi: a "custom-llm" model provider, always streaming, with Vapi's own fields on top.

What Vapi sends its custom LLM URL: `stream: true` with `Accept: text/event-stream`,
`temperature` 0 and `max_tokens` 250 (its defaults), an OpenAI `tools` list for the tools
the assistant has, and extra top-level fields describing the call (`call`, `metadata`,
`customer`, `phoneNumber`). A reply must start streaming within Vapi's 20 s no-token
timeout or the turn fails. The values here are representative samples, not a real call.
"""

from __future__ import annotations

from typing import Any

from workbench.platforms.base import Platform, SetupField
from workbench.target import Target, Timeouts

SAMPLE_CALL_ID = "call-0000-workbench-sample"

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "transferCall",
            "description": "Transfer the caller to a human agent.",
            "parameters": {
                "type": "object",
                "properties": {"destination": {"type": "string", "description": "The number to transfer to."}},
                "required": ["destination"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "endCall",
            "description": "End the call when the conversation is over.",
            "parameters": {"type": "object", "properties": {}},
        },
    },
]


class Vapi(Platform):
    def extra_headers(self, target: Target, *, stream: bool) -> dict[str, str]:
        return {"Accept": "text/event-stream"} if stream else {}

    def extra_body(self, target: Target, *, stream: bool, turn: int) -> dict[str, Any]:
        return {
            "tools": TOOLS,
            "call": {"id": SAMPLE_CALL_ID, "orgId": "org-workbench-sample", "type": "inboundPhoneCall",
                     "status": "in-progress"},
            "metadata": {"turn": turn},
            "customer": {"number": "+15555550100"},
            "phoneNumber": {"number": "+15555550199", "provider": "twilio"},
        }


VAPI = Vapi(
    id="vapi",
    title="Vapi",
    auth_methods=("bearer",),
    default_auth="bearer",
    stream_default=True,
    stream_required=True,
    timeouts=Timeouts(connect=5.0, read=20.0, first_token=20.0),
    checklist=(
        "The custom LLM URL serves POST /chat/completions.",
        "It streams (text/event-stream) when asked with stream: true and Accept: text/event-stream.",
        "It tolerates Vapi's extra top-level fields (call, metadata, customer, phoneNumber) and a tools list.",
        "The first token arrives well within Vapi's 20 s no-token timeout.",
        "It accepts the credential as Authorization: Bearer.",
    ),
    checklist_proof=(("reachability",), ("stream",), ("params",), ("latency",), ("auth",)),
    setup_fields=(
        SetupField("Custom LLM URL", "base_url", "Vapi calls this URL + /chat/completions"),
        SetupField("Model", "model"),
        SetupField("API key (credential)", "credential", "sent as Authorization: Bearer"),
    ),
    defaults={"temperature": 0, "max_tokens": 250},
    docs="Vapi: Custom LLM (custom-llm model provider)",
)
