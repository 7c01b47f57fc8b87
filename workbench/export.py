"""Setup sheets: what each platform asks for to point a voice agent at the developer's endpoint.

`build_sheet` gathers a profile's settings in the shape one platform wants them (the PolyAI
rep's three items, Play.ai's PATCH body and curl, Vapi's custom-llm provider, ElevenLabs'
custom LLM fields, an OpenAI SDK snippet), with the credential masked unless a reveal is
asked for and the latest saved check verdict; `render` prints it as markdown, text or JSON.
Pure apart from reading the saved verdict file.
"""

from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Protocol
from urllib.parse import urlsplit

from workbench.errors import UsageError
from workbench.redact import mask
from workbench.secrets import Credential

FORMATS = ("markdown", "json", "text")

PLAYAI_AGENT_URL = "https://api.play.ai/api/v1/agents/"
VAPI_API = "https://api.vapi.ai"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}

AUTH_LABELS = {
    "none": "none (no auth header)",
    "x-api-key": "API key, sent as the x-api-key header",
    "bearer": "Bearer token, sent as Authorization: Bearer",
}


class ExportProfile(Protocol):
    """What a setup sheet needs of a profile (workbench.profiles.Profile has it)."""

    name: str
    base_url: str
    model: str
    auth: str
    api_key_env: str | None


@dataclass(frozen=True)
class SheetField:
    key: str  # stable JSON key
    label: str  # what the platform calls it
    value: str
    note: str = ""


@dataclass(frozen=True)
class Snippet:
    key: str  # stable JSON key
    title: str
    language: str  # json | bash | python
    text: str


@dataclass(frozen=True)
class Verdict:
    """The latest saved `workbench check` result for this profile and platform."""

    compatible: bool
    errors: int
    warnings: int
    checked_at: float  # seconds since the epoch
    target: str
    path: str
    flagged: frozenset[str] = frozenset()  # categories with an error or a warning

    def proves(self, categories: tuple[str, ...]) -> bool:
        """A passing check left every one of these categories clean (a checklist item it ticks)."""
        return self.compatible and bool(categories) and not self.flagged.intersection(categories)

    def age(self, now: float | None = None) -> str:
        return describe_age((now if now is not None else time.time()) - self.checked_at)

    def summary(self, now: float | None = None) -> str:
        outcome = "compatible" if self.compatible else "NOT compatible"
        counts = f"{self.errors} error{'s' * (self.errors != 1)}, {self.warnings} warning{'s' * (self.warnings != 1)}"
        return f"{outcome} ({counts}), checked {self.age(now)} against {self.target}"

    def to_dict(self, now: float | None = None) -> dict[str, Any]:
        now = now if now is not None else time.time()
        return {
            "compatible": self.compatible,
            "errors": self.errors,
            "warnings": self.warnings,
            "checked_at": datetime.fromtimestamp(self.checked_at).astimezone().isoformat(timespec="seconds"),
            "age_s": round(max(0.0, now - self.checked_at)),
            "age": self.age(now),
            "target": self.target,
            "report": self.path,
        }


def describe_age(seconds: float) -> str:
    """"just now", "5 minutes ago", "3 hours ago", "2 days ago"."""
    seconds = max(0.0, seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


@dataclass
class SetupSheet:
    platform: str
    platform_title: str
    profile: str
    intro: str
    fields: list[SheetField]
    snippets: list[Snippet] = field(default_factory=list)
    checklist: tuple[str, ...] = ()
    checklist_title: str = "Checklist"
    checklist_proof: tuple[tuple[str, ...], ...] = ()  # per item, the categories a passing check must leave clean
    notes: list[str] = field(default_factory=list)
    verdict: Verdict | None = None
    check_command: str = ""
    revealed: bool = False
    credential_source: str = "none"  # keyring | env:VAR | missing | none
    auth_method: str = "none"  # the header style the platform will send: none | x-api-key | bearer

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "profile": self.profile,
            "revealed": self.revealed,
            "auth_method": self.auth_method,
            "credential_source": self.credential_source,
            "settings": {f.key: f.value for f in self.fields},
            "fields": [{"key": f.key, "label": f.label, "value": f.value, "note": f.note} for f in self.fields],
            "snippets": {s.key: s.text for s in self.snippets},
            "checklist": list(self.checklist),
            "latest_check": self.verdict.to_dict() if self.verdict else None,
            "check_command": self.check_command,
            "notes": list(self.notes),
        }


# ---- the saved verdict ------------------------------------------------------------------


def load_verdict(profile: str, platform: str, reports_dir: str | Path | None = None) -> Verdict | None:
    """The saved verdict, or None when there is none or it cannot be read (a sheet still prints)."""
    from workbench.checks.verdicts import latest_path

    path = latest_path(profile, platform, reports_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        stamp = path.stat().st_mtime
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("compatible"), bool):
        return None
    findings = [f for f in data.get("findings", []) if isinstance(f, dict)] if isinstance(
        data.get("findings"), list) else []
    severities = [f.get("severity") for f in findings]
    flagged = frozenset(str(f.get("category")) for f in findings if f.get("severity") in ("error", "warning"))
    return Verdict(
        compatible=data["compatible"],
        errors=severities.count("error"),
        warnings=severities.count("warning"),
        checked_at=_timestamp(data.get("checked_at"), stamp),
        target=str(data.get("target", "")),
        path=str(path),
        flagged=flagged,
    )


def _timestamp(value: Any, fallback: float) -> float:
    """`checked_at` as epoch seconds or an ISO 8601 string; the file's own time otherwise."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    return fallback


# ---- building a sheet -------------------------------------------------------------------


def build_sheet(
    profile: ExportProfile,
    platform: str,
    credential: Credential | None,
    *,
    reveal: bool = False,
    verdict: Verdict | None = None,
) -> SetupSheet:
    """The setup sheet for `platform`; the credential appears only masked unless `reveal`."""
    from workbench.platforms import get_platform

    spec = get_platform(platform)
    builder = _BUILDERS.get(spec.id, _generic)
    secret = _Secret(credential, reveal, profile)
    sheet = builder(profile, spec, secret)
    sheet.verdict = verdict
    sheet.revealed = reveal
    sheet.credential_source = secret.source
    sheet.auth_method = _auth_sent(profile, spec) if spec.id != "openai" else profile.auth
    sheet.check_command = f"workbench check {shlex.quote(profile.name)} --as {spec.id}"
    if not sheet.checklist:
        sheet.checklist = tuple(spec.checklist)
    if sheet.checklist == tuple(spec.checklist):
        sheet.checklist_proof = spec.checklist_proof
    return sheet


class _Secret:
    """The credential as a sheet may show it: masked, revealed, or why there is none."""

    def __init__(self, credential: Credential | None, reveal: bool, profile: ExportProfile) -> None:
        self.credential = credential
        self.reveal = reveal
        self.profile = profile

    @property
    def present(self) -> bool:
        return self.credential is not None and bool(self.credential.value)

    @property
    def shown(self) -> str:
        """The value to print: the secret itself only when revealed."""
        if self.present:
            assert self.credential is not None and self.credential.value is not None
            return self.credential.value if self.reveal else mask(self.credential.value)
        if self.profile.auth == "none":
            return ""
        return "<your API key>"

    @property
    def field_value(self) -> str:
        """For a settings table: the value alone (masked unless revealed)."""
        if self.present:
            return self.shown
        return "none" if self.profile.auth == "none" else "not set"

    @property
    def field_note(self) -> str:
        """For a settings table: where the value lives, or why there is none."""
        if self.profile.auth == "none":
            return "the endpoint takes no credential"
        if not self.present:
            note = self.credential.note if self.credential is not None and self.credential.note else "no key is stored"
            return f"{note}; set one with `workbench profiles set-key {self.profile.name}`"
        assert self.credential is not None
        masked = "" if self.reveal else "masked, --reveal shows it; "
        return f"{masked}from {self.credential.describe()}"

    @property
    def source(self) -> str:
        if self.profile.auth == "none":
            return "none"
        return self.credential.source if self.credential is not None else "missing"

    def note_if_masked(self, notes: list[str], where: str) -> None:
        if self.present and not self.reveal:
            notes.append(
                f"The key in {where} is masked. "
                "Run again with --reveal to print the real value, or paste it in yourself."
            )


def _auth_sent(profile: ExportProfile, spec: Any) -> str:
    """The auth method the platform will use for this profile."""
    if profile.auth == "none":
        return "none"
    return profile.auth if profile.auth in spec.auth_methods else spec.default_auth


def _auth_notes(profile: ExportProfile, spec: Any, notes: list[str]) -> None:
    """What the developer must know about auth and reachability before handing this over."""
    host = (urlsplit(profile.base_url).hostname or "").lower()
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        notes.append(
            f"{profile.base_url} is on this machine: {spec.title}'s servers cannot reach it. Expose it through a "
            "tunnel (ngrok, cloudflared) or deploy it, point the profile at the public https URL, and export again."
        )
    sent = _auth_sent(profile, spec)
    if profile.auth == "none":
        notes.append(
            f"This profile uses no auth: anyone who can reach the endpoint can use it. "
            f"{spec.title} can send {_auth_list(spec)}; turn auth on before going live."
        )
    elif sent != profile.auth:
        notes.append(
            f"{spec.title} sends the key as {AUTH_LABELS[sent].split(', sent as ')[-1]}, but this profile uses "
            f"{profile.auth}: make the endpoint accept {sent}, "
            f"or `workbench check {profile.name} --as {spec.id}` will fail on auth."
        )


def _auth_list(spec: Any) -> str:
    return " or ".join(AUTH_LABELS[m].split(", sent as ")[-1] for m in spec.auth_methods)


def _chat_url(profile: ExportProfile) -> str:
    from workbench import wire

    return profile.base_url.rstrip("/") + wire.CHAT_PATH


def _polyai(profile: ExportProfile, spec: Any, secret: _Secret) -> SetupSheet:
    notes: list[str] = [f"PolyAI sends POST {_chat_url(profile)} (the Endpoint URL + /chat/completions)."]
    _auth_notes(profile, spec, notes)
    fields = [
        SheetField("endpoint_url", "Endpoint URL", profile.base_url, "PolyAI calls this URL + /chat/completions"),
        SheetField("model_id", "Model ID", profile.model),
        SheetField("auth_method", "Auth method", AUTH_LABELS[_auth_sent(profile, spec)]),
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


def _playai(profile: ExportProfile, spec: Any, secret: _Secret) -> SetupSheet:
    body = {"llm": {"baseURL": profile.base_url, "apiKey": secret.shown}}
    body_text = json.dumps(body, indent=2, ensure_ascii=False)
    curl = "\n".join(
        [
            "curl --request PATCH \\",
            f'  --url "{PLAYAI_AGENT_URL}${{PLAYAI_AGENT_ID}}" \\',
            '  --header "Authorization: Bearer ${PLAYAI_API_KEY}" \\',
            '  --header "X-User-Id: ${PLAYAI_USER_ID}" \\',
            "  --header 'Content-Type: application/json' \\",
            f"  --data-raw {shlex.quote(json.dumps(body, ensure_ascii=False))}",
        ]
    )
    notes = [
        "Set PLAYAI_AGENT_ID, PLAYAI_API_KEY and PLAYAI_USER_ID to your own Play.ai agent id, API key and user id "
        "before running the curl command (they are Play.ai's credentials, not your endpoint's).",
        f"Play.ai calls POST {_chat_url(profile)} with stream: true and checks the reply before it accepts the "
        "update: a 400 from the PATCH means its compatibility check failed.",
    ]
    secret.note_if_masked(notes, "the PATCH body")
    if profile.auth == "none":
        notes.append("apiKey is empty because this profile uses no auth.")
    _auth_notes(profile, spec, notes)
    return SetupSheet(
        platform=spec.id,
        platform_title=spec.title,
        profile=profile.name,
        intro="Point your Play.ai agent at this endpoint with the Update Agent call below.",
        fields=[
            SheetField("baseURL", "llm.baseURL", profile.base_url, "Play.ai calls this URL + /chat/completions"),
            SheetField("apiKey", "llm.apiKey", secret.field_value, secret.field_note),
            SheetField("model", "Model", profile.model, "the model your endpoint serves"),
        ],
        snippets=[
            Snippet("patch_body", "PATCH body", "json", body_text),
            Snippet("curl", "Update the agent (curl)", "bash", curl),
        ],
        notes=notes,
    )


def _polyant(profile: ExportProfile, spec: Any, secret: _Secret) -> SetupSheet:
    models_url = profile.base_url.rstrip("/") + "/models"
    key_var = profile.api_key_env or "LLM_API_KEY"
    auth = f' -H "Authorization: Bearer ${{{key_var}}}"' if profile.auth != "none" else ""
    notes = [
        f"The model id must appear in GET {models_url} (called with the Bearer key).",
        "Send message content as plain strings, and at most 100 messages a request.",
    ]
    _auth_notes(profile, spec, notes)
    return SetupSheet(
        platform=spec.id,
        platform_title=spec.title,
        profile=profile.name,
        intro="Settings for a Polyant client calling this endpoint.",
        fields=[
            SheetField("base_url", "Base URL", profile.base_url, "usually ends in /v1"),
            SheetField("model", "Model (instance slug)", profile.model),
            SheetField("auth_method", "Auth method", AUTH_LABELS[_auth_sent(profile, spec)]),
            SheetField("api_key", "Auth API key", secret.field_value, secret.field_note),
        ],
        snippets=[Snippet("models_curl", "Is the model listed? (curl)", "bash", f'curl -sS{auth} "{models_url}"')],
        notes=notes,
    )


def _vapi(profile: ExportProfile, spec: Any, secret: _Secret) -> SetupSheet:
    model = {"model": {"provider": "custom-llm", "url": profile.base_url, "model": profile.model}}
    credential = {"provider": "custom-llm", "apiKey": secret.shown}
    snippets = [
        Snippet("assistant_model", "Assistant model (custom-llm provider)", "json", json.dumps(model, indent=2))
    ]
    if profile.auth != "none":
        credential_json = json.dumps(credential, indent=2, ensure_ascii=False)
        snippets.append(Snippet("credential", "Credential (POST /credential)", "json", credential_json))
        snippets.append(
            Snippet(
                "credential_curl",
                "Store the key with Vapi (curl)",
                "bash",
                "\n".join(
                    [
                        f'curl -X POST "{VAPI_API}/credential" \\',
                        '  -H "Authorization: Bearer ${VAPI_API_KEY}" \\',
                        "  -H 'Content-Type: application/json' \\",
                        f"  -d {shlex.quote(json.dumps(credential, ensure_ascii=False))}",
                    ]
                ),
            )
        )
    snippets.append(
        Snippet(
            "assistant_curl",
            "Point an assistant at the endpoint (curl)",
            "bash",
            "\n".join(
                [
                    f'curl -X PATCH "{VAPI_API}/assistant/${{VAPI_ASSISTANT_ID}}" \\',
                    '  -H "Authorization: Bearer ${VAPI_API_KEY}" \\',
                    "  -H 'Content-Type: application/json' \\",
                    f"  -d {shlex.quote(json.dumps(model))}",
                ]
            ),
        )
    )
    notes = [
        "Set VAPI_API_KEY (your Vapi private key) and VAPI_ASSISTANT_ID before running the curl commands.",
        f"Vapi calls POST {_chat_url(profile)} with stream: true, temperature 0, max_tokens 250 and its own "
        "call fields, and ends the turn if no token arrives within 20 s.",
    ]
    secret.note_if_masked(notes, "the credential body")
    _auth_notes(profile, spec, notes)
    return SetupSheet(
        platform=spec.id,
        platform_title=spec.title,
        profile=profile.name,
        intro="Use this endpoint as a Vapi custom LLM (model provider custom-llm).",
        fields=[
            SheetField("provider", "Provider", "custom-llm"),
            SheetField("url", "Custom LLM URL", profile.base_url, "Vapi calls this URL + /chat/completions"),
            SheetField("model", "Model", profile.model),
            SheetField("api_key", "API key (credential)", secret.field_value, secret.field_note),
        ],
        snippets=snippets,
        notes=notes,
    )


def _elevenlabs(profile: ExportProfile, spec: Any, secret: _Secret) -> SetupSheet:
    secret_name = f"{profile.name}-llm-key"
    notes = [
        "In the agent's settings choose LLM: Custom LLM, then fill in the fields above.",
        f'Store the key as a workspace secret (for example named "{secret_name}") and pick it as the API key; '
        "ElevenLabs sends it as Authorization: Bearer.",
        f"ElevenLabs calls POST {_chat_url(profile)} and always streams: "
        "the endpoint must answer with text/event-stream.",
        'Turn on "Custom LLM extra body" only if the endpoint reads elevenlabs_extra_body.',
    ]
    _auth_notes(profile, spec, notes)
    return SetupSheet(
        platform=spec.id,
        platform_title=spec.title,
        profile=profile.name,
        intro="Settings for an ElevenLabs agent with a custom LLM.",
        fields=[
            SheetField("llm", "LLM", "Custom LLM"),
            SheetField("server_url", "Server URL", profile.base_url, "ElevenLabs calls this URL + /chat/completions"),
            SheetField("model_id", "Model ID", profile.model),
            SheetField("api_key_secret_name", "API key secret name", secret_name if profile.auth != "none" else ""),
            SheetField("api_key", "API key (secret value)", secret.field_value, secret.field_note),
        ],
        notes=notes,
    )


def _openai(profile: ExportProfile, spec: Any, secret: _Secret) -> SetupSheet:
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
        "LiveKit Agents (openai.LLM), Pipecat (OpenAILLMService) and most frameworks take the same base_url, "
        "model and api_key.",
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


def _generic(profile: ExportProfile, spec: Any, secret: _Secret) -> SetupSheet:
    """Any platform without its own sheet: the fields it declares."""
    sources = {
        "base_url": profile.base_url,
        "chat_url": _chat_url(profile),
        "model": profile.model,
        "auth": AUTH_LABELS[_auth_sent(profile, spec)],
        "credential": secret.field_value,
    }
    fields = [
        SheetField(
            f.source, f.label, sources.get(f.source, ""), secret.field_note if f.source == "credential" else f.note
        )
        for f in spec.setup_fields
    ]
    notes: list[str] = []
    _auth_notes(profile, spec, notes)
    return SetupSheet(spec.id, spec.title, profile.name, f"Settings for {spec.title}.", fields, notes=notes)


_BUILDERS: dict[str, Callable[[ExportProfile, Any, _Secret], SetupSheet]] = {
    "polyai": _polyai,
    "playai": _playai,
    "polyant": _polyant,
    "vapi": _vapi,
    "elevenlabs": _elevenlabs,
    "openai": _openai,
}


# ---- rendering --------------------------------------------------------------------------


def render(sheet: SetupSheet, fmt: str = "markdown", *, now: float | None = None) -> str:
    if fmt == "json":
        data = sheet.to_dict()
        if sheet.verdict is not None:
            data["latest_check"] = sheet.verdict.to_dict(now)
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return _markdown(sheet, now)
    if fmt == "text":
        return _text(sheet, now)
    raise UsageError(f"unknown export format {fmt!r}", f"use one of {', '.join(FORMATS)}")


def _verdict_line(sheet: SetupSheet, now: float | None) -> str:
    if sheet.verdict is None:
        return f"no saved check for this profile and platform; run `{sheet.check_command}`"
    return sheet.verdict.summary(now)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(sheet: SetupSheet, now: float | None) -> str:
    out = [f"# {sheet.platform_title} setup: {sheet.profile}", "", sheet.intro, ""]
    out += ["| Setting | Value |", "| --- | --- |"]
    for f in sheet.fields:
        value = f"`{_md_cell(f.value)}`" if f.value and f.key in _CODE_VALUES else _md_cell(f.value) or "—"
        note = f" ({_md_cell(f.note)})" if f.note else ""
        out.append(f"| {_md_cell(f.label)} | {value}{note} |")
    out += ["", f"**Latest check:** {_verdict_line(sheet, now)}", ""]
    for snippet in sheet.snippets:
        out += [f"## {snippet.title}", "", f"```{snippet.language}", snippet.text, "```", ""]
    if sheet.checklist:
        out += [f"## {sheet.checklist_title}", ""] + [f"- [{mark}] {item}" for mark, item in _ticked(sheet)] + [""]
    if sheet.notes:
        out += ["## Notes", ""] + [f"- {note}" for note in sheet.notes] + [""]
    return "\n".join(out)


_CODE_VALUES = {"endpoint_url", "model_id", "baseURL", "model", "base_url", "url", "server_url", "provider"}


def _ticked(sheet: SetupSheet) -> list[tuple[str, str]]:
    """Each checklist item with "x" when the latest check proved it, else " "."""
    proofs = sheet.checklist_proof if len(sheet.checklist_proof) == len(sheet.checklist) else ()
    verdict = sheet.verdict
    return [("x" if verdict is not None and proofs and verdict.proves(proofs[i]) else " ", item)
            for i, item in enumerate(sheet.checklist)]


def _text(sheet: SetupSheet, now: float | None) -> str:
    title = f"{sheet.platform_title} setup: {sheet.profile}"
    out = [title, "=" * len(title), "", sheet.intro, ""]
    width = max(len(f.label) for f in sheet.fields) if sheet.fields else 0
    for f in sheet.fields:
        out.append(f"  {f.label.ljust(width)}  {f.value or '-'}")
        if f.note:
            out.append(f"  {'':{width}}  ({f.note})")
    out += ["", f"Latest check: {_verdict_line(sheet, now)}", ""]
    for snippet in sheet.snippets:
        out += [f"{snippet.title}:", ""] + [f"    {line}" for line in snippet.text.splitlines()] + [""]
    if sheet.checklist:
        out += [f"{sheet.checklist_title}:"] + [f"  [{mark}] {item}" for mark, item in _ticked(sheet)] + [""]
    if sheet.notes:
        out += ["Notes:"] + [f"  - {note}" for note in sheet.notes] + [""]
    return "\n".join(out)


def export_sheet(
    profile: ExportProfile,
    platform: str,
    credential: Credential | None,
    *,
    fmt: str = "markdown",
    reveal: bool = False,
    reports_dir: str | Path | None = None,
) -> str:
    """The whole export in one call: the sheet with the latest verdict, rendered."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}", f"use one of {', '.join(FORMATS)}")
    from workbench.platforms import get_platform

    platform_id = get_platform(platform).id
    verdict = load_verdict(profile.name, platform_id, reports_dir)
    sheet = build_sheet(profile, platform_id, credential, reveal=reveal, verdict=verdict)
    return render(sheet, fmt)
