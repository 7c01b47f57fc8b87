"""Pipecat: `OpenAILLMService(base_url=...)`, which calls the endpoint through the async OpenAI SDK.

Facts from pipecat-ai/pipecat at acead050 (2026-08-21), file and lines:
- `src/pipecat/services/openai/base_llm.py` `create_client` (254-287): an `AsyncOpenAI` client
  with the app's `base_url`, `api_key` and `default_headers`; the SDK's timeouts and retries are
  not overridden (600 s read, 5 s connect, 2 retries on connection errors, 408, 409, 429, 5xx).
  So the headers are the SDK's: `User-Agent: AsyncOpenAI/Python <version>`, the
  `X-Stainless-*` family, and `Accept: application/json` even for a stream.
- `build_chat_completion_params` (351-385): always `stream: true` and
  `stream_options: {"include_usage": true}`; `frequency_penalty`, `presence_penalty`, `seed`,
  `temperature`, `top_p`, `max_tokens`, `max_completion_tokens`, `service_tier`, `tools` and
  `tool_choice` only when set (the SDK drops NOT_GIVEN), `settings.extra` last.
- `get_chat_completions` (313-349): `retry_timeout_secs=5.0` and `retry_on_timeout=False` by
  default; only when an app turns the retry on is `create()` bounded by 5 s, and with
  `stream=True` `create()` returns once the response headers arrive: the 5 s bounds the time to
  headers, not to the first token, and the retry runs without a limit.
- Roles: the system instruction is prepended as `{"role": "system"}`
  (`adapters/services/open_ai_adapter.py` 169-184); `developer` messages go out as they are
  (`supports_developer_role = True`), and Pipecat's own templates start every call with one:
  `{"role": "developer", "content": "Start by concisely introducing yourself."}`
  (`cli/templates/server/_macros/event_handlers.jinja2`; 320 of its examples do the same).
- Tool calls (base_llm.py 509-588): keyed on `index`, the id taken from the fragment with the
  name, `finish_reason` never read; arguments that are not JSON are skipped with a warning.
- The next request after a tool call (`processors/aggregators/llm_response_universal.py`
  1747-1781, 1908-1929, 2157-2165): one assistant message per call with no `content` key and
  the arguments re-serialised with `json.dumps(..., ensure_ascii=False)`, then a `tool`
  message whose content is `json.dumps(result, ensure_ascii=False)` ("COMPLETED" when empty).
- After a barge-in the history holds only the text spoken before it, as one assistant message
  (nothing spoken: none) (`services/tts_service.py` 1239-1243, `transports/base_output.py`
  566-590, the assistant aggregator 1677-1726).
- Text streamed before a tool call goes into the history as its own assistant message, before
  the call's (observed with pipecat-ai 1.14.0: a pipeline of the context aggregators and
  `OpenAILLMService` without TTS; with TTS only the spoken part of that text is kept).
"""

from __future__ import annotations

import json
from typing import Any

from workbench import wire
from workbench.platforms.base import Platform, ToolCall
from workbench.platforms.openai import END_CALL_TOOL, OpenAISDK, sdk_headers
from workbench.platforms.sheet import (
    AUTH_LABELS,
    SetupSheet,
    SheetField,
    SheetProfile,
    ShownCredential,
    Snippet,
    auth_notes,
    chat_url,
)
from workbench.target import Target, Timeouts

# The kick-off message of Pipecat's templates, verbatim: the first request of a Pipecat call.
KICKOFF = "Start by concisely introducing yourself."
STREAM_OPTIONS = {"include_usage": True}


class Pipecat(OpenAISDK):
    def stream_for(self, target: Target, stream: bool | None) -> bool:
        # Pipecat always streams; a caller may still ask for the other mode (the check's diagnosis).
        return Platform.stream_for(self, target, stream)

    def extra_headers(self, target: Target, *, stream: bool) -> dict[str, str]:
        return sdk_headers("AsyncOpenAI", f"{self.timeouts.read:g}")

    def sdk_params(self, target: Target, *, stream: bool) -> dict[str, Any]:
        params = dict(target.params)
        if stream:
            params["stream_options"] = dict(STREAM_OPTIONS)
        return params

    def offered_tools(self, target: Target) -> list[dict[str, Any]]:
        # Pipecat has no built-in tools on this path: the app's, in FunctionSchema.to_default_dict form.
        return [END_CALL_TOOL]

    def smoke_messages(self) -> list[dict[str, Any]]:
        return [wire.message("system", self.system_prompt), wire.message("developer", KICKOFF)]

    def conversation_messages(self) -> list[dict[str, Any]]:
        return [
            *self.smoke_messages(),
            wire.message("assistant", "Hi, I'm the booking assistant. How can I help?"),
            *super().conversation_messages()[1:],
        ]

    def tool_result_messages(self, call: ToolCall, result: str, spoken: str = "") -> list[dict[str, Any]]:
        try:
            arguments = json.loads(call.arguments or "{}")
        except json.JSONDecodeError:
            return []  # Pipecat logs a warning and never runs the call: no follow-up at all
        messages: list[dict[str, Any]] = [wire.message("assistant", spoken)] if spoken.strip() else []
        messages += [
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": call.id,
                        "function": {"name": call.name, "arguments": json.dumps(arguments, ensure_ascii=False)},
                        "type": "function",
                    }
                ],
            },
            {"role": "tool", "content": json.dumps(result, ensure_ascii=False) if result else "COMPLETED",
             "tool_call_id": call.id},
        ]
        return messages


def setup_sheet(profile: SheetProfile, spec: Platform, secret: ShownCredential) -> SetupSheet:
    """The sheet the developer hands over to point a Pipecat bot at the endpoint."""
    key_var = profile.api_key_env or "LLM_API_KEY"
    lines = ["import os", "", "from pipecat.services.openai.llm import OpenAILLMService", "",
             "llm = OpenAILLMService(", f"    base_url={json.dumps(profile.base_url)},"]
    if profile.auth == "bearer":
        lines.append(f"    api_key=os.environ[{json.dumps(key_var)}],")
    elif profile.auth == "x-api-key":
        lines.append('    api_key="unused",  # the SDK needs one; the endpoint reads x-api-key')
        lines.append(f'    default_headers={{"x-api-key": os.environ[{json.dumps(key_var)}]}},')
    else:
        lines.append('    api_key="none",  # the SDK needs one; the endpoint takes none')
    lines += [f"    model={json.dumps(profile.model)},", ")"]
    notes = [
        (f"Pipecat calls POST {chat_url(profile)} through the OpenAI SDK, always with stream: true and "
         'stream_options: {"include_usage": true}: the endpoint must accept stream_options and may send a '
         "usage chunk last."),
        (f'Pipecat\'s templates start every call with a "developer" message ("{KICKOFF}"): the endpoint '
         "must accept that role (treat it like system)."),
        ("Pipecat sets no first-token limit of its own (the SDK waits up to 600 s); retry_on_timeout=True "
         "re-sends a request whose response headers take more than retry_timeout_secs (5 s)."),
        "Newer Pipecat releases prefer settings=OpenAILLMService.Settings(model=...) to model=...; both work.",
    ]
    if profile.auth != "none":
        notes.append(f"The snippet reads the key from ${key_var}: export it, never paste a key into code.")
    auth_notes(profile, spec, notes)
    return SetupSheet(
        platform=spec.id,
        platform_title=spec.title,
        profile=profile.name,
        intro="Point a Pipecat bot's LLM service at this endpoint.",
        fields=[
            SheetField("base_url", "base_url", profile.base_url, "Pipecat calls this URL + /chat/completions"),
            SheetField("model", "model", profile.model),
            SheetField("auth_method", "Auth method", AUTH_LABELS[profile.auth]),
            SheetField("api_key", "api_key", secret.field_value, secret.field_note),
        ],
        snippets=[Snippet("python", "Python (Pipecat)", "python", "\n".join(lines))],
        checklist=tuple(spec.checklist),
        notes=notes,
    )


PIPECAT = Pipecat(
    id="pipecat",
    title="Pipecat",
    auth_methods=("bearer",),
    default_auth="bearer",
    stream_default=True,
    stream_required=True,
    # The SDK's defaults: Pipecat overrides none (its 5 s retry is opt-in and bounds only headers).
    timeouts=Timeouts(connect=5.0, read=600.0, first_token=600.0),
    budget_source="the general 1 s voice line (Pipecat sets no first-token limit; its opt-in 5 s retry "
                  "bounds only the response headers)",
    retries=2,
    always_sends=("stream_options",),
    tool_call_fires_on=None,  # base_llm.py never reads finish_reason: the call runs when the stream ends
    checklist=(
        "base_url ends where /chat/completions can be appended (usually .../v1).",
        'It accepts stream: true with stream_options: {"include_usage": true} (sent on every request).',
        'It accepts "developer" messages (Pipecat\'s templates start every call with one).',
        "It answers Accept: application/json with a stream when stream is true (the SDK never asks for SSE).",
        "Tool calls stream with an index on every fragment and arguments that join into JSON.",
    ),
    checklist_proof=(
        ("reachability",), ("params", "stream"), ("conversation",), ("stream",), ("stream", "conversation"),
    ),
    setup_sheet=setup_sheet,
    system_prompt="You are a helpful assistant in a voice conversation. Keep replies short.",
    docs="pipecat-ai/pipecat: services/openai/base_llm.py (OpenAILLMService)",
)
