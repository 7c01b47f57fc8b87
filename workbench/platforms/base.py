"""Platform: how one voice-agent platform calls a BYOM endpoint, and what it requires of it.

A Platform is data plus small hooks (`extra_headers`, `extra_body`). `build_request` turns a
Target and a list of messages into exactly the request that platform would send, so the check,
the simulator and the TUI all call an endpoint the same way the platform does; `setup_sheet`
names the function (in the platform's own module) that builds its sheet for `workbench
export`. Over a call, three more hooks say what the platform sends: `offered_tools` (the OpenAI
`tools` list), `tool_result_messages` (the history after a tool call, as the next request
carries it) and `interrupted_history` (after a caller barged in). The defaults here are the
OpenAI convention (an SDK user appending the assistant message and a `tool` message); the
platforms that do otherwise override them, and say in their docstrings where the facts come
from. Pure: no I/O.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from workbench import wire
from workbench.target import AUTH_METHODS, Target, Timeouts

if TYPE_CHECKING:
    from workbench.platforms.sheet import SheetBuilder

# The general voice comfort line: past about a second of silence a caller notices.
VOICE_FIRST_TOKEN_BUDGET_MS = 1000.0


class ToolCall(Protocol):
    """An assembled tool call, as read from a reply (the check's tool-call module builds them)."""

    @property
    def id(self) -> str | None: ...

    @property
    def index(self) -> int | None: ...

    @property
    def name(self) -> str: ...

    @property
    def arguments(self) -> str: ...  # the raw argument string, fragments joined as they came


def function_tool(name: str, description: str, properties: dict[str, Any] | None = None,
                  required: list[str] | None = None) -> dict[str, Any]:
    """One entry of an OpenAI `tools` list: a function with a JSON-schema object as parameters."""
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties or {}, "required": required or []},
        },
    }


@dataclass(frozen=True)
class PlatformRequest:
    """A request exactly as the platform would send it."""

    method: str
    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    auth: str = "none"  # the auth method the platform used for this request
    stream: bool = False

    def content(self) -> bytes:
        """The body bytes, compact JSON as the platforms (and OpenAI) send it."""
        return wire.dumps(self.body).encode("utf-8")


@dataclass(frozen=True)
class Platform:
    """What a platform sends and what it requires; subclasses override `extra_body`/`extra_headers`."""

    id: str
    title: str
    auth_methods: tuple[str, ...]
    default_auth: str
    stream_default: bool
    stream_required: bool
    timeouts: Timeouts
    first_token_budget_ms: float = VOICE_FIRST_TOKEN_BUDGET_MS
    budget_source: str = "the general 1 s voice line (the platform documents no tighter budget)"
    uses_models_endpoint: bool = False  # lists models before it chats (Polyant): GET /models must work
    prewarms_models: bool = False  # sends GET /models only to warm the connection, ignoring failures (LiveKit)
    retries: int = 0  # how often it resends a request that failed before the first chunk (0: never, or unknown)
    # Body fields beyond model, messages and stream that every request carries whatever the agent's
    # settings (Pipecat's and LiveKit's stream_options): refusing one fails every call.
    always_sends: tuple[str, ...] = ()
    max_messages: int | None = None
    string_content_only: bool = False  # True: array content parts are flattened to a string
    checklist: tuple[str, ...] = ()
    # For each checklist item, the finding categories a check must leave without an error or a
    # warning for the export to tick it; () for an item no check can prove (a PATCH to the platform).
    checklist_proof: tuple[tuple[str, ...], ...] = ()
    setup_sheet: SheetBuilder | None = None  # its setup sheet for `workbench export` (see platforms/sheet.py)
    defaults: dict[str, Any] = field(default_factory=dict)  # body parameters it sends by default
    system_prompt: str = "You are a helpful voice assistant. Keep replies short."
    # Message forms some callers on this platform send; the check probes them (warning if refused).
    optional_message_forms: tuple[str, ...] = ()
    # The finish_reason values on which this platform runs a streamed tool call; None: it never
    # reads finish_reason (Pipecat runs the call when the stream ends). See tool_calls.py.
    tool_call_fires_on: tuple[str, ...] | None = ("tool_calls",)
    # True when the platform removes <think>…</think> from the content before speaking it
    # (LiveKit's strip_thinking_tokens): reasoning there is silence, not words read aloud.
    strips_think_tags: bool = False
    docs: str = ""  # where these facts come from

    # ---- what it sends ----------------------------------------------------------------

    def auth_method(self, target: Target) -> str:
        """The auth header style this platform sends for `target`.

        The profile's method when the platform can send it; otherwise the platform's own
        (Play.ai only sends Bearer, whatever the profile says). No credential, no header.
        """
        if target.auth == "none" or not target.api_key:
            return "none"
        if target.auth in self.auth_methods:
            return target.auth
        return self.default_auth

    def stream_for(self, target: Target, stream: bool | None) -> bool:
        """What a probe sends: `stream` when it asks (a check may deviate on purpose), else the default."""
        if stream is not None:
            return stream
        return self.stream_default

    def streams(self, target: Target, chosen: bool | None) -> bool:
        """Whether this platform streams when a user chose `chosen` (None: no choice made).

        A platform that always streams (Play.ai, Vapi, ElevenLabs) streams whatever was chosen;
        one that lets its users choose (PolyAI, the OpenAI SDK) honours the choice.
        """
        if self.stream_required:
            return True
        return self.stream_for(target, chosen)

    def build_request(
        self,
        target: Target,
        messages: list[dict[str, Any]],
        *,
        stream: bool | None = None,
        turn: int = 0,
        tools: bool = False,
    ) -> PlatformRequest:
        """Exactly what this platform sends to `target` for these messages.

        `tools=True`: the request of an agent that has tools, its `offered_tools` in the body where
        the platform puts them. Platforms that offer their tools on every request (Vapi,
        ElevenLabs) send them either way; the others (Pipecat, LiveKit, the SDK) only with tools.
        """
        streaming = self.stream_for(target, stream)
        auth = self.auth_method(target)
        headers = {"Content-Type": wire.JSON_CONTENT_TYPE}
        headers.update(self.extra_headers(target, stream=streaming))
        headers.update(target.headers)
        headers.update(target.auth_headers(auth) if auth != "none" else {})
        body = self.body(target, self.shape_messages(messages), stream=streaming, turn=turn)
        offered = self.offered_tools(target) if tools else []
        if offered and "tools" not in body:
            body = self.with_tools(target, body, offered)
        return PlatformRequest("POST", target.chat_url, headers, body, auth=auth, stream=streaming)

    def with_tools(self, target: Target, body: dict[str, Any], tools: list[dict[str, Any]]) -> dict[str, Any]:
        """The body with a `tools` list added where this platform puts it (last, by default)."""
        return {**body, "tools": tools}

    def models_request(self, target: Target) -> PlatformRequest:
        """GET {base}/models as this platform sends it (Polyant lists models; LiveKit prewarms)."""
        chat = self.build_request(target, self.smoke_messages(), stream=False)
        headers = {k: v for k, v in chat.headers.items() if k.lower() != "content-type"}
        return PlatformRequest("GET", target.models_url, headers, {}, auth=chat.auth)

    def shape_messages(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The messages as this platform forwards them (string content, history limit)."""
        shaped = [dict(m) for m in messages]
        if self.string_content_only:
            for m in shaped:
                if isinstance(m.get("content"), list):
                    m["content"] = wire.content_text(m["content"])
        if self.max_messages is not None and len(shaped) > self.max_messages:
            system = [m for m in shaped[:1] if m.get("role") == "system"]
            shaped = system + shaped[len(shaped) - (self.max_messages - len(system)) :]
        return shaped

    def body(self, target: Target, messages: list[dict[str, Any]], *, stream: bool, turn: int) -> dict[str, Any]:
        """Model, messages, the platform's defaults, the profile's parameters, stream, extras."""
        body: dict[str, Any] = {"model": target.model, "messages": messages}
        body.update(copy.deepcopy(self.defaults))
        body.update(copy.deepcopy(target.params))
        body["stream"] = stream
        body.update(self.extra_body(target, stream=stream, turn=turn))
        return body

    def extra_headers(self, target: Target, *, stream: bool) -> dict[str, str]:
        return {}

    def extra_body(self, target: Target, *, stream: bool, turn: int) -> dict[str, Any]:
        return {}

    # ---- over a call: tools, their results, a caller barging in -------------------------

    def offered_tools(self, target: Target) -> list[dict[str, Any]]:
        """The OpenAI `tools` list this platform sends ([]: it sends none)."""
        return []

    def tool_result_messages(self, call: ToolCall, result: str, spoken: str = "") -> list[dict[str, Any]]:
        """The assistant message carrying `call` and the `tool` message carrying `result`, exactly as
        this platform puts them in the next request ([]: it would not run the call at all).

        The default is the OpenAI convention, as an SDK user appends them: the assistant message
        as the SDK returns it (`content` null unless text came with the call, the raw argument
        string), then `{"role": "tool", "tool_call_id", "content"}`.
        """
        assistant: dict[str, Any] = {
            "role": "assistant",
            "content": spoken or None,
            "tool_calls": [_openai_tool_call(call.id, call.name, call.arguments)],
        }
        return [assistant, {"role": "tool", "tool_call_id": call.id, "content": result}]

    def interrupted_history(self, spoken: str) -> list[dict[str, Any]]:
        """The assistant message(s) the next request carries after the caller barged in having heard
        `spoken` ([] when nothing was spoken). The default: one assistant message with the spoken
        text, as Pipecat and LiveKit write it."""
        return [wire.message("assistant", spoken)] if spoken.strip() else []

    # ---- what its checks send ---------------------------------------------------------

    def smoke_messages(self) -> list[dict[str, Any]]:
        """The messages of this platform's own smoke test (its first, simplest request)."""
        return [wire.message("system", self.system_prompt), wire.message("user", "Hello! Can you hear me?")]

    def conversation_messages(self) -> list[dict[str, Any]]:
        """A short call: system prompt, a user turn, the assistant's reply, another user turn."""
        return [
            wire.message("system", self.system_prompt),
            wire.message("user", "Hi, I'd like to book a table for two."),
            wire.message("assistant", "Of course. For which day and time?"),
            wire.message("user", "Friday at seven, please."),
        ]

    def __post_init__(self) -> None:
        for method in (*self.auth_methods, self.default_auth):
            if method not in AUTH_METHODS or method == "none":
                raise ValueError(f"{self.id}: auth method {method!r} is not one a platform sends")
        if self.default_auth not in self.auth_methods:
            raise ValueError(f"{self.id}: default auth {self.default_auth!r} is not among {self.auth_methods}")


def _openai_tool_call(call_id: str | None, name: str, arguments: str) -> dict[str, Any]:
    """One `tool_calls` entry of an assistant message, in the key order the OpenAI SDK returns it."""
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
