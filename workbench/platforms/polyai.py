"""PolyAI: calls the BYOM endpoint with x-api-key or Bearer, non-streaming by default.

From PolyAI's BYOM page (shared/seeds): a system prompt plus the turns, `temperature` 0.7,
`top_p` 1.0, `stream` false ("Enable streaming (optional)"), and "you might receive extra
OpenAI-style fields such as frequency_penalty, presence_penalty, etc.", which it sends here
so the check proves they are tolerated.
"""

from __future__ import annotations

from workbench.platforms.base import Platform, SetupField
from workbench.target import Timeouts

# PolyAI's "Final checklist", verbatim.
CHECKLIST = (
    "Endpoint reachable with POST.",
    "Request/response match OpenAI chat/completions schema.",
    "Authentication header configured (API Key or Bearer token).",
    "(Optional) Streaming supported if needed.",
)

POLYAI = Platform(
    id="polyai",
    title="PolyAI",
    auth_methods=("x-api-key", "bearer"),
    default_auth="x-api-key",
    stream_default=False,
    stream_required=False,
    timeouts=Timeouts(connect=5.0, read=30.0, first_token=20.0),
    checklist=CHECKLIST,
    checklist_proof=(("reachability",), ("schema",), ("auth",), ("stream",)),
    setup_fields=(
        SetupField("Endpoint URL", "base_url", "PolyAI calls this URL + /chat/completions"),
        SetupField("Model ID", "model"),
        SetupField("Auth method & credential", "auth", "x-api-key header or Bearer token"),
    ),
    defaults={"temperature": 0.7, "top_p": 1.0, "frequency_penalty": 0.0, "presence_penalty": 0.0},
    system_prompt="You are a helpful assistant.",
    docs="PolyAI BYOM documentation (Agent Settings > Bring your own model)",
)
