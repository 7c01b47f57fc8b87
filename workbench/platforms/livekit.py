"""LiveKit Agents: `openai.LLM(base_url=...)` from livekit-plugins-openai, an async OpenAI SDK client.

Facts from livekit/agents at da6af86a (2026-08-22, livekit-agents 1.7.0), and a request
captured from livekit-agents and livekit-plugins-openai 1.8.9 (openai 3.63.0):
- `livekit-plugins/livekit-plugins-openai/livekit/plugins/openai/llm.py` (LLM.__init__ 88-176):
  `openai.AsyncClient(..., max_retries=0, http_client=httpx.AsyncClient(timeout=
  Timeout(connect=15.0, read=5.0, write=5.0, pool=5.0), follow_redirects=True))`.
- `livekit-agents/livekit/agents/inference/llm.py` (LLMStream._run 412-511): always `model`,
  `messages`, `stream: true`, `stream_options: {"include_usage": true}` and a per-request
  `timeout=httpx.Timeout(10.0)` (so 10 s to connect and 10 s between bytes, the first one
  included; the SDK reports it as `x-stainless-read-timeout: 10.0`); `tools` only when the agent
  has tools, `tool_choice` only when set and tools exist; `user`, `metadata`,
  `max_completion_tokens`, `temperature`, `top_p`, `service_tier`, `reasoning_effort`,
  `parallel_tool_calls`, `response_format`, `extra_body`… only when set (plugin `chat()` 947-1038).
- Headers (`inference/_utils.py` get_inference_headers 73-118): the SDK's, with its own
  `User-Agent: LiveKit Agents/<version> (python <version>)`, and inside a job (every deployed
  agent) `X-LiveKit-Room-ID`, `X-LiveKit-Job-ID`, `X-LiveKit-Agent-ID` and a fresh
  `X-LiveKit-Session-ID` per request; hosted agents also send `X-LiveKit-Worker-Token`, which is
  not mirrored here (a credential).
- Prewarm: `_prewarm_impl` calls `client.models.list()`, GET {base}/models, when a session starts
  (plugin llm.py 178-180, `llm/llm.py` 161-200), errors swallowed. Captured: the SDK's own
  User-Agent there (`AsyncOpenAI/Python <version>`) and `x-stainless-read-timeout: 5.0`.
- Retries (`llm/llm.py` 269-304, `types.py` APIConnectOptions): up to 3 more attempts, 0.1 s then
  2 s apart, only while nothing has streamed; 4xx other than 408/429/499 are not retried.
- Tool calls (`inference/llm.py` _parse_choice 516-600): a call starts on a fragment with a name,
  is emitted on `finish_reason` "tool_calls" or "stop"; a call without an `id` is never emitted.
- The next request after a tool call (`llm/_provider_format/openai.py` to_chat_ctx; captured):
  the assistant message with `tool_calls` and the raw argument string, `content` only when text
  was spoken with it, then `{"role": "tool", "tool_call_id", "content"}` where content is
  Python `str()` of the tool's output (`llm/utils.py` ~985).
- After a barge-in the history holds the text that reached the caller as one assistant message,
  nothing when nothing played (`voice/generation.py` 579-596, `voice/agent_activity.py`
  3531-3560; captured).
- The built-in `EndCallTool` (`beta/tools/end_call.py`): function `end_call`, strict schema, no
  parameters (captured below, description verbatim).
"""

from __future__ import annotations

import json
import platform as _runtime
from typing import Any

from workbench.platforms.base import Platform, PlatformRequest, ToolCall
from workbench.platforms.openai import OpenAISDK, sdk_headers
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

# The LiveKit Agents release whose User-Agent is mirrored (the one the request was captured from).
LIVEKIT_VERSION = "1.8.9"
STREAM_OPTIONS = {"include_usage": True}
# Sample ids as a job carries them (LiveKit's prefixes: RM_ rooms, AJ_ jobs, PA_ participants).
JOB_HEADERS = {
    "X-LiveKit-Room-ID": "RM_workbenchSample",
    "X-LiveKit-Job-ID": "AJ_workbenchSample",
    "X-LiveKit-Agent-ID": "PA_workbenchSample",
    "X-LiveKit-Session-ID": "inference_workbenchSample",
}
# The prewarm's GET goes through the client's own httpx timeout (read 5.0 s), not the chat's 10 s.
PREWARM_READ_TIMEOUT = "5.0"

END_CALL_DESCRIPTION = """
Ends the current call and disconnects immediately.

Call when:
- The user clearly indicates they are done (e.g., \u201cthat\u2019s all, bye\u201d).

Do not call when:
- The user asks to pause, hold, or transfer.
- Intent is unclear.

This is the final action the agent can take.
Once called, no further interaction is possible with the user.
Don't generate any other text or response when the tool is called.

"""

# livekit.agents.beta.tools.EndCallTool as the plugin sends it (captured, strict schema).
END_CALL_TOOL = {
    "type": "function",
    "function": {
        "name": "end_call",
        "strict": True,
        "description": END_CALL_DESCRIPTION,
        "parameters": {"properties": {}, "type": "object", "additionalProperties": False},
    },
}


class LiveKit(OpenAISDK):
    def stream_for(self, target: Target, stream: bool | None) -> bool:
        # LiveKit always streams; a caller may still ask for the other mode (the check's diagnosis).
        return Platform.stream_for(self, target, stream)

    def extra_headers(self, target: Target, *, stream: bool) -> dict[str, str]:
        headers = sdk_headers("AsyncOpenAI", f"{self.timeouts.read}")
        headers["User-Agent"] = f"LiveKit Agents/{LIVEKIT_VERSION} (python {_runtime.python_version()})"
        headers.update(JOB_HEADERS)
        return headers

    def sdk_params(self, target: Target, *, stream: bool) -> dict[str, Any]:
        params = dict(target.params)
        params.pop("tool_choice", None)  # sent only beside tools (with_tools puts it back)
        if stream:
            params["stream_options"] = dict(STREAM_OPTIONS)
        return params

    def with_tools(self, target: Target, body: dict[str, Any], tools: list[dict[str, Any]]) -> dict[str, Any]:
        if "tool_choice" in target.params:
            body = {**body, "tool_choice": target.params["tool_choice"]}
        return super().with_tools(target, body, tools)

    def models_request(self, target: Target) -> PlatformRequest:
        auth = self.auth_method(target)
        headers = sdk_headers("AsyncOpenAI", PREWARM_READ_TIMEOUT)
        headers.update(target.headers)
        headers.update(target.auth_headers(auth) if auth != "none" else {})
        return PlatformRequest("GET", target.models_url, headers, {}, auth=auth)

    def offered_tools(self, target: Target) -> list[dict[str, Any]]:
        return [END_CALL_TOOL]

    def tool_result_messages(self, call: ToolCall, result: str, spoken: str = "") -> list[dict[str, Any]]:
        if not call.id:
            return []  # LiveKit never emits a call without an id: nothing runs, nothing is sent
        assistant: dict[str, Any] = {"role": "assistant", "content": spoken} if spoken else {"role": "assistant"}
        assistant["tool_calls"] = [
            {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
        ]
        return [assistant, {"role": "tool", "tool_call_id": call.id, "content": str(result or "")}]


def setup_sheet(profile: SheetProfile, spec: Platform, secret: ShownCredential) -> SetupSheet:
    """The sheet the developer hands over to point a LiveKit agent at the endpoint."""
    key_var = profile.api_key_env or "LLM_API_KEY"
    lines = ["import os", "", "from livekit.agents import AgentSession", "from livekit.plugins import openai", "",
             "llm = openai.LLM(", f"    base_url={json.dumps(profile.base_url)},"]
    if profile.auth == "bearer":
        lines.append(f"    api_key=os.environ[{json.dumps(key_var)}],")
    elif profile.auth == "x-api-key":
        lines.append('    api_key="unused",  # the SDK needs one; the endpoint reads x-api-key')
        lines.append(f'    extra_headers={{"x-api-key": os.environ[{json.dumps(key_var)}]}},')
    else:
        lines.append('    api_key="none",  # the SDK needs one; the endpoint takes none')
    lines += [f"    model={json.dumps(profile.model)},", ")",
              "session = AgentSession(llm=llm)  # with your stt, tts, vad"]
    notes = [
        (f"LiveKit calls POST {chat_url(profile)} through the OpenAI SDK, always with stream: true and "
         'stream_options: {"include_usage": true}: the endpoint must accept stream_options and may send a '
         "usage chunk last."),
        ("Each attempt may wait 10 s to connect and 10 s for each next byte, the first included; LiveKit "
         "retries up to 3 more times while nothing has streamed, then the turn fails."),
        (f"When a session starts LiveKit sends GET {profile.base_url.rstrip('/')}/models to warm the connection "
         "(failures are ignored, but the first reply then pays for connecting)."),
    ]
    if profile.auth != "none":
        notes.append(f"The snippet reads the key from ${key_var}: export it, never paste a key into code.")
    auth_notes(profile, spec, notes)
    return SetupSheet(
        platform=spec.id,
        platform_title=spec.title,
        profile=profile.name,
        intro="Point a LiveKit agent's LLM at this endpoint (livekit-plugins-openai).",
        fields=[
            SheetField("base_url", "base_url", profile.base_url, "LiveKit calls this URL + /chat/completions"),
            SheetField("model", "model", profile.model),
            SheetField("auth_method", "Auth method", AUTH_LABELS[profile.auth]),
            SheetField("api_key", "api_key", secret.field_value, secret.field_note),
        ],
        snippets=[Snippet("python", "Python (LiveKit Agents)", "python", "\n".join(lines))],
        checklist=tuple(spec.checklist),
        notes=notes,
    )


LIVEKIT = LiveKit(
    id="livekit",
    title="LiveKit",
    auth_methods=("bearer",),
    default_auth="bearer",
    stream_default=True,
    stream_required=True,
    timeouts=Timeouts(connect=10.0, read=10.0, first_token=10.0),
    budget_source="the general 1 s voice line (LiveKit gives up on an attempt after 10 s without a byte)",
    prewarms_models=True,
    retries=3,
    always_sends=("stream_options",),
    tool_call_fires_on=("tool_calls", "stop"),  # inference/llm.py _parse_choice
    strips_think_tags=True,  # llm/utils.py strip_thinking_tokens, before TTS
    checklist=(
        "base_url ends where /chat/completions can be appended (usually .../v1).",
        'It accepts stream: true with stream_options: {"include_usage": true} (sent on every request).',
        "The first byte of the reply comes within 10 s (LiveKit's read timeout), the first token well within 1 s.",
        "Tool calls carry an id and end with finish_reason \"tool_calls\" (or \"stop\").",
        "A tool result comes back as a tool message whose content is the tool's output as text.",
    ),
    checklist_proof=(
        ("reachability",), ("params", "stream"), ("latency",), ("stream", "conversation"), ("conversation",),
    ),
    setup_sheet=setup_sheet,
    optional_message_forms=("developer-role",),
    docs="livekit/agents: livekit-plugins-openai llm.py (openai.LLM), inference/llm.py",
)
