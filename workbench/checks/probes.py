"""Probes: the requests a platform's check sends, each built the way that platform builds its own.

`plan_followups` says what runs after the platform's own request worked; the `diagnose_*`
builders make the second requests that explain a failure (is /v1 missing? does the other
auth header work? are the extra fields the problem?). Pure: nothing here sends anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from workbench import wire
from workbench.platforms.base import Platform, PlatformRequest
from workbench.target import Target

AUTH_HEADER_NAMES = ("authorization", "x-api-key")
WRONG_KEY = "sk-workbench-wrong-key-0000"
OTHER_AUTH = {"x-api-key": "bearer", "bearer": "x-api-key"}

# Kinds of probe, for the runner: generation probes make the model produce a reply (slow when
# the endpoint is slow); quick probes expect an immediate refusal or a short answer.
GENERATION = "generation"
QUICK = "quick"


@dataclass(frozen=True)
class Probe:
    id: str  # stable: "chat", "chat.stream", "auth.none", …
    title: str  # one checklist line
    method: str = "POST"
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # everything but the credential
    body: dict[str, Any] | None = None  # the JSON body as built, when there is one
    content: bytes | None = None  # the exact bytes sent
    auth: str = "none"  # the header style the credential goes in
    api_key: str | None = None  # None: the target's own credential
    stream: bool = False
    kind: str = GENERATION
    optional: bool = False  # a mode the platform does not need (errors there are warnings)
    form: str = ""  # for message-form probes: "developer-role" or "array-content"
    what: str = ""  # for malformed-request probes: how the request is malformed

    def with_auth(self, auth: str, api_key: str | None = None) -> "Probe":
        return replace(self, auth=auth, api_key=api_key)

    def with_content(self, content: bytes) -> "Probe":
        return replace(self, content=content, body=None)

    def with_body(self, body: dict[str, Any]) -> "Probe":
        return replace(self, body=body, content=wire.dumps(body).encode("utf-8"), stream=bool(body.get("stream")))

    @property
    def include_usage(self) -> bool:
        options = (self.body or {}).get("stream_options")
        return isinstance(options, dict) and bool(options.get("include_usage"))


def from_platform_request(id: str, title: str, request: PlatformRequest, **extra: Any) -> Probe:
    """A probe that sends exactly what the platform would, the credential left to the client to add."""
    headers = {k: v for k, v in request.headers.items() if k.lower() not in AUTH_HEADER_NAMES}
    return Probe(
        id=id,
        title=title,
        method=request.method,
        url=request.url,
        headers=headers,
        body=request.body,
        content=request.content(),
        auth=request.auth,
        stream=request.stream,
        **extra,
    )


def primary(platform: Platform, target: Target) -> Probe:
    """The platform's own first request: its smoke test, in its default mode, with its auth."""
    request = platform.build_request(target, platform.smoke_messages())
    mode = "streaming" if request.stream else "non-streaming"
    return from_platform_request("chat", f"{platform.title}'s own request ({mode})", request)


def alternate_mode(platform: Platform, target: Target, primary_stream: bool) -> Probe | None:
    """The mode the platform does not use by default, when it can use it (PolyAI's optional streaming)."""
    if platform.stream_required:
        return None
    stream = not primary_stream
    request = platform.build_request(target, platform.smoke_messages(), stream=stream)
    need = "optional" if stream else "the other mode"
    title = f"Streaming replies ({need} for {platform.title})" if stream else f"Non-streaming replies ({need})"
    return from_platform_request("chat.stream" if stream else "chat.json", title, request, optional=True)


def auth_probes(platform: Platform, target: Target) -> list[Probe]:
    """The platform's request without a credential, and with a wrong one: both should be refused."""
    request = platform.build_request(target, platform.smoke_messages())
    if request.auth == "none":
        return []
    return [
        from_platform_request("auth.none", "Refuses a request without a credential", request,
                              kind=QUICK).with_auth("none"),
        from_platform_request("auth.wrong", "Refuses a wrong credential", request,
                              kind=QUICK).with_auth(request.auth, WRONG_KEY),
    ]


def conversation(platform: Platform, target: Target) -> Probe:
    messages = platform.conversation_messages()
    request = platform.build_request(target, messages, turn=1)
    roles = ", ".join(str(m.get("role")) for m in messages)
    return from_platform_request("conversation", f"A multi-turn call ({roles})", request)


def message_forms(platform: Platform, target: Target) -> list[Probe]:
    """Message forms some callers on this platform send: a developer message, array content."""
    probes = []
    for form in platform.optional_message_forms:
        messages = platform.conversation_messages()
        if form == "developer-role":
            messages[0] = wire.message("developer", messages[0]["content"])
            title = 'Accepts a "developer" message'
        else:
            last = messages[-1]
            messages[-1] = {"role": last["role"], "content": [{"type": "text", "text": last["content"]}]}
            title = "Accepts content as a list of text parts"
        request = platform.build_request(target, messages, turn=1)
        probes.append(from_platform_request(f"conversation.{form}", title, request, form=form))
    return probes


def malformed(platform: Platform, target: Target) -> list[Probe]:
    """Requests a broken caller could send: they deserve a 4xx with an error body, not a 500."""
    request = platform.build_request(target, platform.smoke_messages(), stream=False)
    cut = request.content()[: len(request.content()) // 2]
    no_messages = {k: v for k, v in request.body.items() if k != "messages"}
    return [
        # The body's shape is judged with every other error reply ("errors.shape"): the title promises the status only.
        from_platform_request("errors.invalid-json", "Malformed JSON gets a 4xx", request,
                              kind=QUICK, what="a body cut off mid-JSON").with_content(cut),
        from_platform_request("errors.no-messages", "A body without `messages` gets a 4xx", request,
                              kind=QUICK, what="no `messages` field").with_body(no_messages),
    ]


def models(platform: Platform, target: Target) -> Probe:
    """GET /models as the platform sends it: Polyant lists models first, LiveKit prewarms with it."""
    request = platform.models_request(target)
    headers = {k: v for k, v in request.headers.items() if k.lower() not in AUTH_HEADER_NAMES}
    title = "GET /models lists the model" if platform.uses_models_endpoint else (
        f"GET /models ({platform.title}'s prewarm at session start)")
    return Probe(id="models", title=title, method="GET", url=request.url,
                 headers=headers, auth=request.auth, kind=QUICK)


def plan_followups(
    platform: Platform, target: Target, primary_stream: bool, *, quick_only: bool = False
) -> list[Probe]:
    """What runs once the platform's own request has worked (or stalled: then only the quick ones)."""
    probes: list[Probe] = []
    if platform.uses_models_endpoint or platform.prewarms_models:
        probes.append(models(platform, target))
    probes.extend(auth_probes(platform, target))
    probes.extend(malformed(platform, target))
    if quick_only:
        return probes
    alternate = alternate_mode(platform, target, primary_stream)
    if alternate is not None:
        probes.append(alternate)
    probes.append(conversation(platform, target))
    probes.extend(message_forms(platform, target))
    return probes


# ---- diagnosis --------------------------------------------------------------------------


def at_base_url(probe: Probe, old_base: str, new_base: str, id: str, title: str) -> Probe:
    """The same request at another base URL (…/v1 added, /chat/completions removed, a redirect's target)."""
    old_base, new_base = old_base.rstrip("/"), new_base.rstrip("/")
    url = new_base + probe.url[len(old_base):] if probe.url.startswith(old_base) else new_base + wire.CHAT_PATH
    return _replace(probe, id=id, title=title, url=url, kind=QUICK)


def at_url(probe: Probe, url: str, id: str, title: str) -> Probe:
    return _replace(probe, id=id, title=title, url=url, kind=QUICK)


def with_other_auth(probe: Probe) -> Probe | None:
    other = OTHER_AUTH.get(probe.auth)
    if other is None:
        return None
    return _replace(probe, id="auth.other-header", title=f"The same key sent as {other}", auth=other, kind=QUICK)


def minimal(probe: Probe) -> Probe | None:
    """The request with only model, messages and stream: tells extra fields apart from the rest."""
    if probe.body is None:
        return None
    body = {k: probe.body[k] for k in ("model", "messages", "stream") if k in probe.body}
    if body == probe.body:
        return None
    return _replace(probe, id="params.minimal", title="Only model, messages and stream", body=body,
                    content=wire.dumps(body).encode("utf-8"), kind=QUICK)


def _replace(probe: Probe, **changes: Any) -> Probe:
    return replace(probe, **changes)
