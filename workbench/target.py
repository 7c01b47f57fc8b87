"""Target: everything needed to call one endpoint (URL, model, auth, headers, timeouts, TLS).

A Profile becomes a Target once its credential is resolved; `--url …` flags build one
directly. The client, the platforms and the checks take Targets and never read profiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from workbench import redact, wire

AUTH_METHODS = ("none", "x-api-key", "bearer")


@dataclass(frozen=True)
class Timeouts:
    """Seconds. On by default: an endpoint under construction hangs more often than not."""

    connect: float = 5.0
    read: float = 30.0
    first_token: float = 20.0  # Vapi's no-token timeout; the voice platforms' upper bound


@dataclass(frozen=True)
class Target:
    base_url: str
    model: str
    auth: str = "none"  # one of AUTH_METHODS
    api_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # temperature, top_p, max_tokens, extra fields
    stream: bool = True
    timeouts: Timeouts = field(default_factory=Timeouts)
    verify: bool = True
    ca_bundle: str | None = None
    name: str = ""  # the profile name, when it came from one

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every credential this target sends, to be masked wherever it turns up: its key, and the values
        of its headers and extra fields whose names look secret (X-Custom-Auth, session_token)."""
        found = [self.api_key]
        found += [value for name, value in self.headers.items() if redact.is_secret_header(name)]
        found += [value for name, value in self.params.items()
                  if isinstance(value, str) and redact.is_secret_name(name)]
        return tuple(dict.fromkeys(secret for secret in found if secret))

    @property
    def verification_note(self) -> str:
        """A sentence when TLS verification is off for an https:// target (chat, bench and export say it), else ""."""
        if self.verify or not self.base_url.lower().startswith("https://"):
            return ""
        return ("TLS verification is off for this endpoint: its certificate was not checked, and the platforms "
                "check it (`workbench check` judges it as they do).")

    @property
    def chat_url(self) -> str:
        return self.base_url.rstrip("/") + wire.CHAT_PATH

    @property
    def models_url(self) -> str:
        return self.base_url.rstrip("/") + wire.MODELS_PATH

    def auth_headers(self, auth: str | None = None, api_key: str | None = None) -> dict[str, str]:
        """The auth header this target sends (or the one named by `auth`, with `api_key`)."""
        method = auth or self.auth
        key = self.api_key if api_key is None else api_key
        if method == "none" or not key:
            return {}
        if method == "x-api-key":
            return {"x-api-key": key}
        if method == "bearer":
            return {"Authorization": f"Bearer {key}"}
        raise ValueError(f"unknown auth method {method!r}; expected one of {', '.join(AUTH_METHODS)}")

    def with_(self, **changes: Any) -> "Target":
        return replace(self, **changes)
