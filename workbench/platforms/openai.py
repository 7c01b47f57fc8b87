"""OpenAI SDK: exactly what the official `openai` Python SDK sends when given a `base_url`.

LiveKit, Pipecat and most voice frameworks call a custom endpoint this way. The headers
mirror the SDK's own (User-Agent `OpenAI/Python <version>`, the `X-Stainless-*` family,
`Accept: application/json` even for streams), the body keeps the SDK's key order (model,
stream, messages, then its parameters), and its timeouts are the SDK's defaults (5 s to
connect, 600 s to read). tests/platforms/test_platforms_openai_sdk.py compares this against a request
captured from the real SDK, so a drift in a new SDK release is caught.
"""

from __future__ import annotations

import json
import platform as _runtime
import sys
from importlib import metadata
from typing import Any

from workbench import wire
from workbench.platforms.base import Platform, function_tool
from workbench.platforms.sheet import (
    AUTH_LABELS,
    SetupSheet,
    SheetField,
    SheetProfile,
    ShownCredential,
    Snippet,
)
from workbench.target import Target, Timeouts

# The SDK version we mirror when the SDK itself is not installed.
FALLBACK_SDK_VERSION = "1.54.0"

# The SDK's order of body parameters after `messages` (openai.resources.chat.completions).
SDK_PARAM_ORDER = (
    "service_tier", "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs",
    "max_completion_tokens", "max_tokens", "metadata", "modalities", "moderation", "n", "parallel_tool_calls",
    "prediction", "presence_penalty", "prompt_cache_key", "prompt_cache_options", "prompt_cache_retention",
    "reasoning_effort", "response_format", "safety_identifier", "seed", "stop", "store", "stream_options",
    "temperature", "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity", "web_search_options",
)


# The tool an SDK user's voice agent offers to hang up, as the check offers it (the app defines
# its own tools; this one is representative, not any platform's).
END_CALL_TOOL = function_tool(
    "end_call", "End the call when the caller says goodbye or asks to hang up.",
    {"reason": {"type": "string", "description": "Why the call ends."}}, [],
)


def sdk_version() -> str:
    try:
        return metadata.version("openai")
    except metadata.PackageNotFoundError:
        return FALLBACK_SDK_VERSION


def _os_name() -> str:
    """The SDK's X-Stainless-OS value (openai._base_client.get_platform, common cases)."""
    system = _runtime.system().lower()
    name = _runtime.platform().lower()
    if "iphone" in name or "ipad" in name:
        return "iOS"
    if system == "darwin":
        return "MacOS"
    if system == "windows":
        return "Windows"
    if "android" in name:
        return "Android"
    if system == "freebsd":
        return "FreeBSD"
    if system == "openbsd":
        return "OpenBSD"
    if system == "linux":
        return "Linux"
    return f"Other:{system}" if system else "Unknown"


def _arch() -> str:
    """The SDK's X-Stainless-Arch value (openai._base_client.get_architecture)."""
    machine = _runtime.machine().lower()
    if machine in ("arm64", "aarch64"):
        return "arm64"
    if machine == "arm":
        return "arm"
    if machine == "x86_64":
        return "x64"
    if sys.maxsize <= 2**32:
        return "x32"
    return f"other:{machine}" if machine else "unknown"


def sdk_headers(client: str, read_timeout: str) -> dict[str, str]:
    """The headers the SDK's client class `client` ("OpenAI" or "AsyncOpenAI") sends on every request.

    `read_timeout` is the SDK's `x-stainless-read-timeout`: `str()` of the read timeout in force
    ("600" for the SDK's default, "10.0" for LiveKit's per-request httpx.Timeout(10.0)).
    """
    version = sdk_version()
    return {
        "Accept": wire.JSON_CONTENT_TYPE,
        "User-Agent": f"{client}/Python {version}",
        "X-Stainless-Lang": "python",
        "X-Stainless-Package-Version": version,
        "X-Stainless-OS": _os_name(),
        "X-Stainless-Arch": _arch(),
        "X-Stainless-Runtime": _runtime.python_implementation(),
        "X-Stainless-Runtime-Version": _runtime.python_version(),
        "X-Stainless-Async": "async:asyncio" if client.startswith("Async") else "false",
        "X-Stainless-Retry-Count": "0",
        "X-Stainless-Read-Timeout": read_timeout,
    }


def sdk_ordered(head: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """`head` (model, stream, messages) then `params` in the SDK's order; unknown names last, as
    the SDK merges `extra_body`."""
    body = dict(head)
    rest = dict(params)
    for name in SDK_PARAM_ORDER:
        if name in rest:
            body[name] = rest.pop(name)
    body.update(rest)
    return body


class OpenAISDK(Platform):
    """The official SDK's request; Pipecat and LiveKit build on it (they send through the SDK)."""

    def stream_for(self, target: Target, stream: bool | None) -> bool:
        # SDK users choose per call; the profile's `stream` setting is that choice.
        return target.stream if stream is None else stream

    def extra_headers(self, target: Target, *, stream: bool) -> dict[str, str]:
        return sdk_headers("OpenAI", f"{self.timeouts.read:g}")

    def sdk_params(self, target: Target, *, stream: bool) -> dict[str, Any]:
        """The parameters after model, stream and messages, before ordering: the profile's."""
        return dict(target.params)

    def body(self, target: Target, messages: list[dict[str, Any]], *, stream: bool, turn: int) -> dict[str, Any]:
        head = {"model": target.model, "stream": stream, "messages": messages}
        return sdk_ordered(head, self.sdk_params(target, stream=stream))

    def with_tools(self, target: Target, body: dict[str, Any], tools: list[dict[str, Any]]) -> dict[str, Any]:
        head: dict[str, Any] = {k: body[k] for k in ("model", "stream", "messages") if k in body}
        params = {k: v for k, v in body.items() if k not in head}
        return sdk_ordered(head, {**params, "tools": tools})

    def offered_tools(self, target: Target) -> list[dict[str, Any]]:
        # An SDK user's own tools: the check offers the one most voice agents have.
        return [END_CALL_TOOL]


def setup_sheet(profile: SheetProfile, spec: Platform, secret: ShownCredential) -> SetupSheet:
    """The sheet the developer hands over to point OpenAI SDK at the endpoint."""
    key_var = profile.api_key_env or "LLM_API_KEY"
    lines = ["import os", "", "from openai import OpenAI", "", "client = OpenAI("]
    lines.append(f"    base_url={json.dumps(profile.base_url)},")
    if profile.auth == "bearer":
        lines.append(f"    api_key=os.environ[{json.dumps(key_var)}],")
    elif profile.auth == "x-api-key":
        lines.append('    api_key="unused",  # the SDK needs one; the endpoint reads x-api-key')
        lines.append(f'    default_headers={{"x-api-key": os.environ[{json.dumps(key_var)}]}},')
    else:
        lines.append('    api_key="none",  # the SDK needs one; the endpoint takes none')
    lines += [
        ")",
        "reply = client.chat.completions.create(",
        f"    model={json.dumps(profile.model)},",
        '    messages=[{"role": "user", "content": "Hello!"}],',
        ")",
        "print(reply.choices[0].message.content)",
    ]
    notes = [
        ("LiveKit Agents (openai.LLM), Pipecat (OpenAILLMService) and most frameworks take the same base_url, "
         "model and api_key."),
    ]
    if profile.auth != "none":
        notes.append(f"The snippet reads the key from ${key_var}: export it, never paste a key into code.")
    return SetupSheet(
        platform=spec.id,
        platform_title=spec.title,
        profile=profile.name,
        intro="Call this endpoint with the official OpenAI SDK (or any framework built on it).",
        fields=[
            SheetField("base_url", "base_url", profile.base_url),
            SheetField("model", "model", profile.model),
            SheetField("auth_method", "Auth method", AUTH_LABELS[profile.auth]),
            SheetField("api_key", "api_key", secret.field_value, secret.field_note),
        ],
        snippets=[Snippet("python", "Python (openai SDK)", "python", "\n".join(lines))],
        notes=notes,
    )


OPENAI = OpenAISDK(
    id="openai",
    title="OpenAI SDK",
    auth_methods=("bearer",),
    default_auth="bearer",
    stream_default=True,
    stream_required=False,
    timeouts=Timeouts(connect=5.0, read=600.0, first_token=600.0),
    checklist=(
        "base_url ends where /chat/completions can be appended (usually .../v1).",
        "The key is accepted as Authorization: Bearer.",
        "Non-streaming replies parse as chat.completion; streams as chat.completion.chunk SSE.",
        "Errors use OpenAI's envelope so the SDK raises a typed exception.",
    ),
    checklist_proof=(("reachability",), ("auth",), ("schema", "stream"), ("errors",)),
    setup_sheet=setup_sheet,
    system_prompt="You are a helpful voice assistant. Keep replies short.",
    optional_message_forms=("developer-role", "array-content"),
    docs="openai-python: OpenAI(base_url=..., api_key=...).chat.completions.create",
)
