"""Play.ai: calls `llm.baseURL` + /chat/completions with `Authorization: Bearer <llm.apiKey>`.

From Play.ai's "Bring your own LLM" page (shared/seeds): the endpoint "must serve
/chat/completions and return an SSE response when prompted"; Play.ai's own compatibility
check sends the one-message smoke test below with `stream: true` and refuses the agent
update (HTTP 400) when it fails. The reply should repeat the phrase.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from workbench import wire
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
from workbench.target import Timeouts

SMOKE_TEST = "Repeat with me: the smoke test has passed."
SMOKE_REPLY = "the smoke test has passed"
PLAYAI_AGENT_URL = "https://api.play.ai/api/v1/agents/"


class PlayAI(Platform):
    def smoke_messages(self) -> list[dict[str, Any]]:
        return [wire.message("user", SMOKE_TEST)]


def setup_sheet(profile: SheetProfile, spec: Platform, secret: ShownCredential) -> SetupSheet:
    """The sheet the developer hands over to point Play.ai at the endpoint."""
    body = {"llm": {"baseURL": profile.base_url, "apiKey": secret.shown}}
    body_text = json.dumps(body, indent=2, ensure_ascii=False)
    curl = "\n".join(
        [
            "curl --request PATCH \\",
            f'  --url "{PLAYAI_AGENT_URL}${{PLAYAI_AGENT_ID}}" \\',
            '  --header "Authorization: Bearer ${PLAYAI_API_KEY}" \\',
            '  --header "X-User-Id: ${PLAYAI_USER_ID}" \\',
            "  --header 'Content-Type: application/json' \\",
            f"  --data-raw {shlex.quote(json.dumps(body, ensure_ascii=False))}",
        ]
    )
    notes = [
        ("Set PLAYAI_AGENT_ID, PLAYAI_API_KEY and PLAYAI_USER_ID to your own Play.ai agent id, API key and user id "
         "before running the curl command (they are Play.ai's credentials, not your endpoint's)."),
        (f"Play.ai calls POST {chat_url(profile)} with stream: true and checks the reply before it accepts the "
         "update: a 400 from the PATCH means its compatibility check failed."),
    ]
    secret.note_if_masked(notes, "the PATCH body")
    if profile.auth == "none":
        notes.append("apiKey is empty because this profile uses no auth.")
    auth_notes(profile, spec, notes)
    return SetupSheet(
        platform=spec.id,
        platform_title=spec.title,
        profile=profile.name,
        intro="Point your Play.ai agent at this endpoint with the Update Agent call below.",
        fields=[
            SheetField("baseURL", "llm.baseURL", profile.base_url, "Play.ai calls this URL + /chat/completions"),
            SheetField("apiKey", "llm.apiKey", secret.field_value, secret.field_note),
            SheetField("model", "Model", profile.model, "the model your endpoint serves"),
        ],
        snippets=[
            Snippet("patch_body", "PATCH body", "json", body_text),
            Snippet("curl", "Update the agent (curl)", "bash", curl),
        ],
        notes=notes,
    )


PLAYAI = PlayAI(
    id="playai",
    title="Play.ai",
    auth_methods=("bearer",),
    default_auth="bearer",
    stream_default=True,
    stream_required=True,
    timeouts=Timeouts(connect=5.0, read=30.0, first_token=20.0),
    checklist=(
        "The LLM URL (llm.baseURL) serves POST /chat/completions.",
        "It accepts Authorization: Bearer <llm.apiKey>.",
        "It returns an SSE response when prompted with stream: true.",
        f'It answers the smoke test "{SMOKE_TEST}" by repeating the phrase.',
        "The PATCH to /api/v1/agents/{agentId} with the llm field returns 200, not 400.",
    ),
    checklist_proof=(("reachability",), ("auth",), ("stream",), ("conversation", "stream"), ()),
    setup_sheet=setup_sheet,
    docs="Play.ai: Bring your own LLM (Update Agent endpoint, llm field)",
)
