"""Setup sheets, the shape: what a platform asks the developer for, as fields, snippets and notes.

Each platform module builds its own sheet (`Platform.setup_sheet`) from these pieces; the
credential appears only as `ShownCredential` shows it (masked unless a reveal is asked for).
`workbench.export` adds the saved check verdict and renders the sheet. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from workbench import wire
from workbench.redact import mask

if TYPE_CHECKING:
    from workbench.checks.verdicts import Verdict
    from workbench.platforms.base import Platform
    from workbench.secrets import Credential

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}

AUTH_LABELS = {
    "none": "none (no auth header)",
    "x-api-key": "API key, sent as the x-api-key header",
    "bearer": "Bearer token, sent as Authorization: Bearer",
}


class SheetProfile(Protocol):
    """What a setup sheet needs of a profile (workbench.profiles.Profile has it)."""

    # Read-only members, so a frozen dataclass (Profile) satisfies it.
    @property
    def name(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def auth(self) -> str: ...
    @property
    def api_key_env(self) -> str | None: ...


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


# A platform's sheet builder: (profile, the platform, the credential as shown) -> its sheet.
SheetBuilder = Callable[["SheetProfile", "Platform", "ShownCredential"], SetupSheet]


# ---- the credential as a sheet shows it -----------------------------------------------------


class ShownCredential:
    """The credential as a sheet may show it: masked, revealed, or why there is none."""

    def __init__(self, credential: Credential | None, reveal: bool, profile: SheetProfile) -> None:
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


# ---- wording every platform's sheet shares ------------------------------------------------------


def auth_sent(profile: SheetProfile, spec: Platform) -> str:
    """The auth method the platform will use for this profile."""
    if profile.auth == "none":
        return "none"
    return profile.auth if profile.auth in spec.auth_methods else spec.default_auth


def auth_notes(profile: SheetProfile, spec: Platform, notes: list[str]) -> None:
    """What the developer must know about auth and reachability before handing this over."""
    host = (urlsplit(profile.base_url).hostname or "").lower()
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        notes.append(
            f"{profile.base_url} is on this machine: {spec.title}'s servers cannot reach it. Expose it through a "
            "tunnel (ngrok, cloudflared) or deploy it, point the profile at the public https URL, and export again."
        )
    sent = auth_sent(profile, spec)
    if profile.auth == "none":
        notes.append(
            f"This profile uses no auth: anyone who can reach the endpoint can use it. "
            f"{spec.title} can send {auth_list(spec)}; turn auth on before going live."
        )
    elif sent != profile.auth:
        notes.append(
            f"{spec.title} sends the key as {AUTH_LABELS[sent].split(', sent as ')[-1]}, but this profile uses "
            f"{profile.auth}: make the endpoint accept {sent}, "
            f"or `workbench check {profile.name} --as {spec.id}` will fail on auth."
        )


def auth_list(spec: Platform) -> str:
    return " or ".join(AUTH_LABELS[m].split(", sent as ")[-1] for m in spec.auth_methods)


def chat_url(profile: SheetProfile) -> str:
    """The URL the platform POSTs to: the base URL + /chat/completions."""
    return profile.base_url.rstrip("/") + wire.CHAT_PATH
