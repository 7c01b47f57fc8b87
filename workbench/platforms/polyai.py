"""PolyAI: calls the BYOM endpoint with x-api-key or Bearer, non-streaming by default.

From PolyAI's BYOM page (shared/seeds): a system prompt plus the turns, `temperature` 0.7,
`top_p` 1.0, `stream` false ("Enable streaming (optional)"), and "you might receive extra
OpenAI-style fields such as frequency_penalty, presence_penalty, etc.", which it sends here
so the check proves they are tolerated.
"""

from __future__ import annotations

from workbench.platforms.base import Platform
from workbench.platforms.sheet import (
    AUTH_LABELS,
    SetupSheet,
    SheetField,
    SheetProfile,
    ShownCredential,
    auth_notes,
    auth_sent,
    chat_url,
)
from workbench.target import Timeouts

# PolyAI's "Final checklist", verbatim.
CHECKLIST = (
    "Endpoint reachable with POST.",
    "Request/response match OpenAI chat/completions schema.",
    "Authentication header configured (API Key or Bearer token).",
    "(Optional) Streaming supported if needed.",
)


def setup_sheet(profile: SheetProfile, spec: Platform, secret: ShownCredential) -> SetupSheet:
    """The sheet the developer hands over to point PolyAI at the endpoint."""
    notes: list[str] = [f"PolyAI sends POST {chat_url(profile)} (the Endpoint URL + /chat/completions)."]
    auth_notes(profile, spec, notes)
    fields = [
        SheetField("endpoint_url", "Endpoint URL", profile.base_url, "PolyAI calls this URL + /chat/completions"),
        SheetField("model_id", "Model ID", profile.model),
        SheetField("auth_method", "Auth method", AUTH_LABELS[auth_sent(profile, spec)]),
        SheetField("credential", "Credential", secret.field_value, secret.field_note),
    ]
    return SetupSheet(
        platform=spec.id,
        platform_title=spec.title,
        profile=profile.name,
        intro="Send the following to your PolyAI representative to complete setup.",
        fields=fields,
        checklist=tuple(spec.checklist),
        checklist_title="Final checklist",
        notes=notes,
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
    setup_sheet=setup_sheet,
    defaults={"temperature": 0.7, "top_p": 1.0, "frequency_penalty": 0.0, "presence_penalty": 0.0},
    system_prompt="You are a helpful assistant.",
    docs="PolyAI BYOM documentation (Agent Settings > Bring your own model)",
)
