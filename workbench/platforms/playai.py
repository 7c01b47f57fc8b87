"""Play.ai: calls `llm.baseURL` + /chat/completions with `Authorization: Bearer <llm.apiKey>`.

From Play.ai's "Bring your own LLM" page (shared/seeds): the endpoint "must serve
/chat/completions and return an SSE response when prompted"; Play.ai's own compatibility
check sends the one-message smoke test below with `stream: true` and refuses the agent
update (HTTP 400) when it fails. The reply should repeat the phrase.
"""

from __future__ import annotations

from typing import Any

from workbench import wire
from workbench.platforms.base import Platform, SetupField
from workbench.target import Timeouts

SMOKE_TEST = "Repeat with me: the smoke test has passed."
SMOKE_REPLY = "the smoke test has passed"


class PlayAI(Platform):
    def smoke_messages(self) -> list[dict[str, Any]]:
        return [wire.message("user", SMOKE_TEST)]


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
    setup_fields=(
        SetupField("llm.baseURL", "base_url", "Play.ai calls this URL + /chat/completions"),
        SetupField("llm.apiKey", "credential", "sent as Authorization: Bearer"),
        SetupField("model", "model", "the model name in the request body"),
    ),
    docs="Play.ai: Bring your own LLM (Update Agent endpoint, llm field)",
)
