"""Vapi: a "custom-llm" model provider, always streaming, with Vapi's own fields on top.

What Vapi sends its custom LLM URL: `stream: true` with `Accept: text/event-stream`,
`temperature` 0 and `max_tokens` 250 (its defaults), an OpenAI `tools` list for the tools
the assistant has, and extra top-level fields describing the call (`call`, `metadata`,
`customer`, `phoneNumber`). A reply must start streaming within Vapi's 20 s no-token
timeout or the turn fails. The values here are representative samples, not a real call.

Sources (VapiAI/docs at eabfa530): `fern/apis/api/openapi.json` (CustomLLMModel: `url` is the
OpenAI client's baseURL, `timeoutSeconds` default 20, `maxTokens` default 250; its current
`temperature` default reads 0.5, an older spec said 0), `fern/tools/default-tools.mdx` (the
default tools `transferCall`, `endCall`, `dtmf`, `sms`, `apiRequest`). Unconfirmed: the JSON
schemas Vapi gives those tools (the ones below are representative), the exact header set, and
how the next request carries a tool result (the OpenAI convention is used: the assistant
message with `tool_calls`, then a `tool` message) or the text kept after a barge-in.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from workbench.platforms.base import Platform
from workbench.platforms.sheet import (
    SetupSheet,
    SheetField,
    SheetProfile,
    ShownCredential,
    Snippet,
    auth_notes,
    chat_url,
)
from workbench.target import Target, Timeouts

SAMPLE_CALL_ID = "call-0000-workbench-sample"
VAPI_API = "https://api.vapi.ai"

# Vapi's default tools as an assistant offers them (names from default-tools.mdx; schemas unconfirmed).
DEFAULT_TOOLS = [
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
    def offered_tools(self, target: Target) -> list[dict[str, Any]]:
        return DEFAULT_TOOLS

    def extra_headers(self, target: Target, *, stream: bool) -> dict[str, str]:
        return {"Accept": "text/event-stream"} if stream else {}

    def extra_body(self, target: Target, *, stream: bool, turn: int) -> dict[str, Any]:
        return {
            "tools": self.offered_tools(target),
            "call": {"id": SAMPLE_CALL_ID, "orgId": "org-workbench-sample", "type": "inboundPhoneCall",
                     "status": "in-progress"},
            "metadata": {"turn": turn},
            "customer": {"number": "+15555550100"},
            "phoneNumber": {"number": "+15555550199", "provider": "twilio"},
        }


def setup_sheet(profile: SheetProfile, spec: Platform, secret: ShownCredential) -> SetupSheet:
    """The sheet the developer hands over to point Vapi at the endpoint."""
    model = {"model": {"provider": "custom-llm", "url": profile.base_url, "model": profile.model}}
    credential = {"provider": "custom-llm", "apiKey": secret.shown}
    snippets = [
        Snippet("assistant_model", "Assistant model (custom-llm provider)", "json", json.dumps(model, indent=2))
    ]
    if profile.auth != "none":
        credential_json = json.dumps(credential, indent=2, ensure_ascii=False)
        snippets.append(Snippet("credential", "Credential (POST /credential)", "json", credential_json))
        snippets.append(
            Snippet(
                "credential_curl",
                "Store the key with Vapi (curl)",
                "bash",
                "\n".join(
                    [
                        f'curl -X POST "{VAPI_API}/credential" \\',
                        '  -H "Authorization: Bearer ${VAPI_API_KEY}" \\',
                        "  -H 'Content-Type: application/json' \\",
                        f"  -d {shlex.quote(json.dumps(credential, ensure_ascii=False))}",
                    ]
                ),
            )
        )
    snippets.append(
        Snippet(
            "assistant_curl",
            "Point an assistant at the endpoint (curl)",
            "bash",
            "\n".join(
                [
                    f'curl -X PATCH "{VAPI_API}/assistant/${{VAPI_ASSISTANT_ID}}" \\',
                    '  -H "Authorization: Bearer ${VAPI_API_KEY}" \\',
                    "  -H 'Content-Type: application/json' \\",
                    f"  -d {shlex.quote(json.dumps(model))}",
                ]
            ),
        )
    )
    notes = [
        "Set VAPI_API_KEY (your Vapi private key) and VAPI_ASSISTANT_ID before running the curl commands.",
        (f"Vapi calls POST {chat_url(profile)} with stream: true, temperature 0, max_tokens 250 and its own "
         "call fields, and ends the turn if no token arrives within 20 s."),
    ]
    secret.note_if_masked(notes, "the credential body")
    auth_notes(profile, spec, notes)
    return SetupSheet(
        platform=spec.id,
        platform_title=spec.title,
        profile=profile.name,
        intro="Use this endpoint as a Vapi custom LLM (model provider custom-llm).",
        fields=[
            SheetField("provider", "Provider", "custom-llm"),
            SheetField("url", "Custom LLM URL", profile.base_url, "Vapi calls this URL + /chat/completions"),
            SheetField("model", "Model", profile.model),
            SheetField("api_key", "API key (credential)", secret.field_value, secret.field_note),
        ],
        snippets=snippets,
        notes=notes,
    )


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
    setup_sheet=setup_sheet,
    defaults={"temperature": 0, "max_tokens": 250},
    docs="Vapi: Custom LLM (custom-llm model provider)",
)
