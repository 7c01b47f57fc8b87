"""Polyant: the OpenAI-compatible API of the Polyant engine, as its callers use it.

From Polyant's reference (shared/seeds): Bearer keys only, `GET /v1/models` lists the
models (instance slugs) and needs auth, message `content` is a plain string (no image
parts), `stream` false unless asked, and 20 requests a minute per client address. The
check calls an endpoint the way a Polyant client does, so it must offer the same.
"""

from __future__ import annotations

from workbench.platforms.base import Platform, SetupField
from workbench.target import Timeouts

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
    setup_fields=(
        SetupField("Base URL", "base_url", "ends in /v1, e.g. http://localhost:4000/v1"),
        SetupField("Model (instance slug)", "model"),
        SetupField("Auth API key", "credential", "sent as Authorization: Bearer"),
    ),
    docs="Polyant reference: OpenAI-Compatible API",
)
