"""A profile: one endpoint's settings (Profile, Params, TLS), the layout of its TOML file, and its Target.

A profile is `<folder>/<name>.toml`; the file name is the profile's name. A profile never holds
a secret: the key lives in the OS keyring (`workbench.secrets`) or in an environment variable,
and is handed to `Profile.to_target` by whoever resolved it (`workbench.profiles.resolve`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from workbench import platforms
from workbench.profiles.secret_fields import secret_source
from workbench.target import Target, Timeouts

PLATFORMS = tuple(platforms.PLATFORMS)  # polyai, playai, polyant, vapi, elevenlabs, openai, pipecat, livekit
DEFAULT_PLATFORM = "openai"
SUFFIX = ".toml"

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
NAME_RULE = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
# Names Windows will not create as files, whatever the extension (con.toml included).
RESERVED_NAMES = frozenset(
    ["con", "prn", "aux", "nul", "clock$"] + [f"com{i}" for i in range(1, 10)] + [f"lpt{i}" for i in range(1, 10)]
)

# The layout of a profile file: its keys, the keys of each table, and the open tables whose
# sub-keys are free: headers.NAME (text), params.extra.NAME (JSON). Those names may hold dots.
TOP_KEYS = (
    "name", "base_url", "model", "platform", "auth", "api_key_env", "headers", "params", "timeouts", "tls", "notes",
)
PARAM_KEYS = ("temperature", "top_p", "max_tokens", "stream", "extra")
TIMEOUT_KEYS = ("connect", "read", "first_token")
TLS_KEYS = ("verify", "ca_bundle")
TABLE_KEYS = {"params": PARAM_KEYS, "timeouts": TIMEOUT_KEYS, "tls": TLS_KEYS}
OPEN_TABLES = {"headers": "str", "params.extra": "json"}


def key_path(dotted: str) -> list[str]:
    """The table path of a dotted key ("params.temperature" -> params, temperature). Header and
    extra names may contain dots themselves: "headers.X.Y" -> headers, X.Y."""
    for table in OPEN_TABLES:
        if dotted.startswith(table + "."):
            return table.split(".") + [dotted[len(table) + 1 :]]
    return dotted.split(".")


@dataclass(frozen=True)
class Params:
    """Request parameters sent with every chat request (None: leave the field out)."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stream: bool = True
    extra: dict[str, Any] = field(default_factory=dict)  # more JSON fields, sent as they are

    def sampling(self) -> dict[str, Any]:
        """temperature, top_p and max_tokens, those that are set."""
        values = (("temperature", self.temperature), ("top_p", self.top_p), ("max_tokens", self.max_tokens))
        return {key: value for key, value in values if value is not None}


@dataclass(frozen=True)
class TLS:
    verify: bool = True
    ca_bundle: str | None = None


@dataclass(frozen=True)
class Profile:
    name: str
    base_url: str
    model: str
    platform: str = DEFAULT_PLATFORM
    auth: str = "none"
    api_key_env: str | None = None
    headers: dict[str, Any] = field(default_factory=dict)  # text, or a secret reference (secret_source)
    params: Params = field(default_factory=Params)
    timeouts: Timeouts = field(default_factory=Timeouts)
    tls: TLS = field(default_factory=TLS)
    notes: str = ""
    path: Path | None = field(default=None, compare=False)  # the file it was read from

    @property
    def needs_key(self) -> bool:
        return self.auth != "none"

    @property
    def relies_on_keyring(self) -> bool:
        """Whether the keyring is this profile's only source of its key."""
        return self.needs_key and not self.api_key_env

    def secret_references(self) -> dict[str, str]:
        """Every header and extra field kept outside the file: dotted name ("headers.X-Custom-Auth",
        "params.extra.session_token") -> where its value lives ("keyring", "env:VAR")."""
        found = {f"headers.{name}": secret_source(value) for name, value in self.headers.items()}
        found.update({f"params.extra.{name}": secret_source(value) for name, value in self.params.extra.items()})
        return {dotted: source for dotted, source in found.items() if source is not None}

    def to_target(self, api_key: str | None, secret_values: Mapping[str, str] | None = None) -> Target:
        """The Target the client calls, with the credential and the secret fields' values resolved by the caller.

        `secret_values` maps each of `secret_references()` to its value; one left out is not sent.
        """
        values = secret_values or {}
        params: dict[str, Any] = self.params.sampling()
        params.update(_resolved(self.params.extra, "params.extra", values))
        return Target(
            base_url=self.base_url,
            model=self.model,
            auth=self.auth,
            api_key=api_key,
            headers=_resolved(self.headers, "headers", values),
            params=params,
            stream=self.params.stream,
            timeouts=self.timeouts,
            verify=self.tls.verify,
            ca_bundle=str(Path(self.tls.ca_bundle).expanduser()) if self.tls.ca_bundle else None,
            name=self.name,
        )

    def to_dict(self) -> dict[str, Any]:
        """The file's content: what differs from the defaults (plus the essentials), no name.

        The file name is the profile's name, so the name is not repeated inside. Leaving
        defaults out keeps files short and lets better defaults reach old profiles.
        """
        data: dict[str, Any] = {
            "base_url": self.base_url,
            "model": self.model,
            "platform": self.platform,
            "auth": self.auth,
        }
        if self.api_key_env:
            data["api_key_env"] = self.api_key_env
        if self.notes:
            data["notes"] = self.notes
        if self.headers:
            data["headers"] = dict(self.headers)
        params: dict[str, Any] = self.params.sampling()
        params["stream"] = self.params.stream
        if self.params.extra:
            params["extra"] = dict(self.params.extra)
        data["params"] = params
        defaults = Timeouts()
        timeouts = {
            key: getattr(self.timeouts, key)
            for key in TIMEOUT_KEYS
            if getattr(self.timeouts, key) != getattr(defaults, key)
        }
        if timeouts:
            data["timeouts"] = timeouts
        tls: dict[str, Any] = {}
        if not self.tls.verify:
            tls["verify"] = False
        if self.tls.ca_bundle:
            tls["ca_bundle"] = self.tls.ca_bundle
        if tls:
            data["tls"] = tls
        return data

    def to_json(self) -> dict[str, Any]:
        """Everything, defaults included, for `profiles show --format json` (never a secret)."""
        return {
            "name": self.name,
            "file": str(self.path) if self.path else None,
            "base_url": self.base_url,
            "model": self.model,
            "platform": self.platform,
            "auth": self.auth,
            "api_key_env": self.api_key_env,
            "headers": dict(self.headers),
            "params": {
                "temperature": self.params.temperature,
                "top_p": self.params.top_p,
                "max_tokens": self.params.max_tokens,
                "stream": self.params.stream,
                "extra": dict(self.params.extra),
            },
            "timeouts": {key: getattr(self.timeouts, key) for key in TIMEOUT_KEYS},
            "tls": {"verify": self.tls.verify, "ca_bundle": self.tls.ca_bundle},
            "notes": self.notes,
        }

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict(), multiline_strings=True)


def _resolved(table: dict[str, Any], prefix: str, values: Mapping[str, str]) -> dict[str, Any]:
    """A table with each secret reference replaced by its value (or left out when it has none)."""
    resolved: dict[str, Any] = {}
    for name, value in table.items():
        if secret_source(value) is None:
            resolved[name] = value
        elif f"{prefix}.{name}" in values:
            resolved[name] = values[f"{prefix}.{name}"]
    return resolved
