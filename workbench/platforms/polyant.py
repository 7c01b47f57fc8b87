"""Polyant: the OpenAI-compatible API of the Polyant engine, as its callers use it.

From Polyant's reference (shared/seeds): Bearer keys only, `GET /v1/models` lists the
models (instance slugs) and needs auth, message `content` is a plain string (no image
parts), `stream` false unless asked, and 20 requests a minute per client address. The
check calls an endpoint the way a Polyant client does, so it must offer the same.
"""

from __future__ import annotations

from workbench.platforms.base import Platform
from workbench.platforms.sheet import (
    AUTH_LABELS,
    SetupSheet,
    SheetField,
    SheetProfile,
    ShownCredential,
    Snippet,
    auth_notes,
    auth_sent,
)
from workbench.target import Timeouts


def setup_sheet(profile: SheetProfile, spec: Platform, secret: ShownCredential) -> SetupSheet:
    """The sheet the developer hands over to point Polyant at the endpoint."""
    models_url = profile.base_url.rstrip("/") + "/models"
    key_var = profile.api_key_env or "LLM_API_KEY"
    auth = f' -H "Authorization: Bearer ${{{key_var}}}"' if profile.auth != "none" else ""
    notes = [
        f"The model id must appear in GET {models_url} (called with the Bearer key).",
        "Send message content as plain strings, and at most 100 messages a request.",
    ]
    auth_notes(profile, spec, notes)
    return SetupSheet(
        platform=spec.id,
        platform_title=spec.title,
        profile=profile.name,
        intro="Settings for a Polyant client calling this endpoint.",
        fields=[
            SheetField("base_url", "Base URL", profile.base_url, "usually ends in /v1"),
            SheetField("model", "Model (instance slug)", profile.model),
            SheetField("auth_method", "Auth method", AUTH_LABELS[auth_sent(profile, spec)]),
            SheetField("api_key", "Auth API key", secret.field_value, secret.field_note),
        ],
        snippets=[Snippet("models_curl", "Is the model listed? (curl)", "bash", f'curl -sS{auth} "{models_url}"')],
        notes=notes,
    )


POLYANT = Platform(
    id="polyant",
    title="Polyant",
    auth_methods=("bearer",),
    default_auth="bearer",
    stream_default=False,
    stream_required=False,
    timeouts=Timeouts(connect=5.0, read=60.0, first_token=20.0),
    uses_models_endpoint=True,
    max_messages=100,
    string_content_only=True,
    checklist=(
        "GET /v1/models answers with Bearer auth and lists the model id.",
        "POST /v1/chat/completions accepts Authorization: Bearer <key>.",
        "Message content is a plain string; at most 100 messages a request.",
        "Non-streaming replies are a standard chat.completion; streams end with data: [DONE].",
        "The only finish_reason is \"stop\".",
    ),
    checklist_proof=(("models",), ("auth",), ("conversation",), ("schema", "stream"), ("schema", "stream")),
    setup_sheet=setup_sheet,
    docs="Polyant reference: OpenAI-Compatible API",
)
