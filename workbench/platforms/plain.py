"""As the profile: the request a profile sends on its own, when no platform shapes it.

`workbench chat` without `--as`, and the TUI's "Send as: the profile", send exactly what the
profile says: its model, the messages, its parameters (temperature, top_p, max_tokens and its
extra fields, None left out), its `stream` choice, its headers and its auth header. Nothing a
platform adds (defaults, tools, call metadata, SDK headers) goes with it. Not in PLATFORMS: a
check, an export or a bench always names a real platform.
"""

from __future__ import annotations

from typing import Any

from workbench import wire
from workbench.platforms.base import Platform, PlatformRequest
from workbench.target import Target, Timeouts


class AsTheProfile(Platform):
    """A Platform whose every choice is the profile's own."""

    def auth_method(self, target: Target) -> str:
        return target.auth if target.api_key else "none"

    def streams(self, target: Target, chosen: bool | None) -> bool:
        """The profile's `stream` setting unless this send chose otherwise."""
        return target.stream if chosen is None else chosen

    def build_request(
        self, target: Target, messages: list[dict[str, Any]], *, stream: bool | None = None, turn: int = 0,
        tools: bool = False,
    ) -> PlatformRequest:
        # `tools` is ignored: a profile offers no tools of its own (its extra fields may carry some).
        streaming = self.streams(target, stream)
        auth = self.auth_method(target)
        headers = dict(target.headers)
        headers.update(target.auth_headers(auth) if auth != "none" else {})
        params = {k: v for k, v in target.params.items() if k not in ("model", "messages", "stream")}
        body = wire.chat_request(target.model, messages, stream=streaming, **params)
        return PlatformRequest("POST", target.chat_url, headers, body, auth=auth, stream=streaming)


PLAIN = AsTheProfile(
    id="profile",
    title="the profile",
    auth_methods=("x-api-key", "bearer"),
    default_auth="bearer",
    stream_default=True,
    stream_required=False,
    timeouts=Timeouts(),
    docs="the profile's own settings (workbench/profiles/model.py)",
)
