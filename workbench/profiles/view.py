"""What `profiles list` and `profiles show` print: text tables and JSON, secrets masked.

Pure presentation over Profile and the key's status; the CLI prints it, the TUI may reuse it.
The key's value appears only when the caller asks to reveal it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from workbench import redact, secrets
from workbench.errors import SecretStoreError, WorkbenchError
from workbench.profiles.model import Profile
from workbench.profiles.secret_fields import ENV_SOURCE, keyring_field, secret_source, secret_values


@dataclass(frozen=True)
class KeyStatus:
    """Where a profile's key comes from, without ever holding more than the caller needs.

    `source` is a Credential source ("keyring", "env:VAR", "session", "missing", "none") or
    "unavailable" when the keyring had to be asked and could not answer (`error` says why).
    `shadowed` is True when the keyring also holds a key that the environment variable overrides.
    """

    source: str
    value: str | None = None
    note: str = ""
    error: SecretStoreError | None = None
    shadowed: bool = False

    @property
    def masked(self) -> str:
        return redact.mask(self.value)

    @property
    def unsendable(self) -> str:
        """Why the key found cannot be sent (secrets.key_problem), or ""."""
        problem = secrets.key_problem(self.value) if self.value is not None else None
        return f"; it will not be sent: it {problem[0]}" if problem else ""

    def describe(self, profile_name: str, reveal: bool = False) -> str:
        shown = self.value if reveal else self.masked
        if self.source == "keyring":
            return f"{shown}  (from the OS keyring: service {secrets.SERVICE}, user {profile_name}{self.unsendable})"
        if self.source.startswith("env:"):
            also = "; the keyring holds another, not used" if self.shadowed else ""
            return f"{shown}  (from environment variable {self.source[4:]}{also}{self.unsendable})"
        if self.source == "session":
            return f"{shown}  ({secrets.SESSION_NOTE})"
        if self.source == "none":
            return "not needed (auth none)"
        if self.source == "unavailable":
            return "unknown: the OS keyring cannot be used (see the error below)"
        return f"missing: {self.note}"


def key_status(profile: Profile, *, ask_keyring: bool = True) -> KeyStatus:
    """The key's status for one profile; keyring failures become an "unavailable" status."""
    if not ask_keyring and profile.relies_on_keyring:
        return KeyStatus("unavailable")
    try:
        credential = secrets.resolve_credential(profile)
    except SecretStoreError as error:
        return KeyStatus("unavailable", error=error)
    shadowed = False
    if credential.source.startswith("env:") and ask_keyring:
        try:
            shadowed = secrets.get_secret(profile.name) is not None
        except SecretStoreError:
            shadowed = False  # only a remark; the key in use came from the environment
    return KeyStatus(credential.source, credential.value, credential.note, shadowed=shadowed)


def key_statuses(profiles: list[Profile]) -> tuple[list[KeyStatus], SecretStoreError | None]:
    """Statuses for many profiles; after the keyring fails once, it is not asked again."""
    statuses: list[KeyStatus] = []
    failure: SecretStoreError | None = None
    for profile in profiles:
        status = key_status(profile, ask_keyring=failure is None)
        failure = failure or status.error
        statuses.append(status)
    return statuses, failure


def list_table(profiles: list[Profile], statuses: list[KeyStatus]) -> str:
    """The `profiles list` table: one line per profile, no secret."""
    header = ("NAME", "URL", "MODEL", "PLATFORM", "AUTH", "KEY")
    rows = [
        (p.name, p.base_url, p.model, p.platform, p.auth, s.source)
        for p, s in zip(profiles, statuses, strict=True)
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


def list_json(profiles: list[Profile], statuses: list[KeyStatus]) -> list[dict[str, Any]]:
    return [
        {
            "name": p.name,
            "base_url": p.base_url,
            "model": p.model,
            "platform": p.platform,
            "auth": p.auth,
            "api_key_env": p.api_key_env,
            "key_source": s.source,
            "file": str(p.path) if p.path else None,
        }
        for p, s in zip(profiles, statuses, strict=True)
    ]


def show_text(profile: Profile, status: KeyStatus, *, reveal: bool = False) -> str:
    """`profiles show`: every setting, defaults included, and where the key comes from."""
    p = profile
    params = [f"stream={'true' if p.params.stream else 'false'}"] + [
        f"{key}={value}"
        for key, value in (("temperature", p.params.temperature), ("top_p", p.params.top_p),
                           ("max_tokens", p.params.max_tokens))
        if value is not None
    ]  # fmt: skip
    lines = [
        ("name", p.name),
        ("file", str(p.path) if p.path else "(not saved)"),
        ("base_url", p.base_url),
        ("model", p.model),
        ("platform", p.platform),
        ("auth", p.auth),
    ]
    if p.api_key_env:
        lines.append(("api_key_env", p.api_key_env))
    lines.append(("key", status.describe(p.name, reveal)))
    for header, value in p.headers.items():
        lines.append(("header", f"{header}: {_shown_header(p, header, value, reveal)}"))
    lines.append(("params", " ".join(params)))
    if p.params.extra:
        lines.append(("extra", json.dumps(p.params.extra, ensure_ascii=False)))
    t = p.timeouts
    lines.append(("timeouts", f"connect {t.connect:g} s, read {t.read:g} s, first token {t.first_token:g} s"))
    ca_bundle = f", CA bundle {p.tls.ca_bundle}" if p.tls.ca_bundle else ""
    lines.append(("tls", f"verify {'on' if p.tls.verify else 'OFF'}{ca_bundle}"))
    if p.notes:
        note_lines = p.notes.strip().splitlines() or [""]
        lines.append(("notes", note_lines[0]))
        lines.extend(("", more) for more in note_lines[1:])
    width = max(len(label) for label, _ in lines)
    return "\n".join(f"{label.ljust(width)}  {value}".rstrip() for label, value in lines)


def _shown_header(profile: Profile, header: str, value: Any, reveal: bool) -> str:
    """A header's value in `profiles show`: as written, or where a secret one lives (its value only if revealed)."""
    source = secret_source(value)
    if source is None:
        return redact.mask_header(header, value) if not reveal else value
    where = (f"environment variable {source[len(ENV_SOURCE):]}" if source.startswith(ENV_SOURCE)
             else f"the OS keyring, user {profile.name}/{keyring_field('headers.' + header)}")
    if reveal:
        try:
            return f"{secret_values(profile.name, {'headers.' + header: source})['headers.' + header]}  (from {where})"
        except WorkbenchError as error:
            return f"(secret, in {where}: {error.message})"
    return f"(secret, in {where})"


def show_json(profile: Profile, status: KeyStatus, *, reveal: bool = False) -> dict[str, Any]:
    data = profile.to_json()
    key: dict[str, Any] = {"source": status.source, "masked": status.masked}
    if status.note:
        key["note"] = status.note
    if status.unsendable:
        key["unsendable"] = status.unsendable.removeprefix("; ")
    if status.shadowed:
        key["shadowed_keyring_entry"] = True
    if status.error is not None:
        key["error"] = status.error.to_dict()
    if reveal:
        key["value"] = status.value
    data["key"] = key
    return data
