"""ProxyConfig: where the proxy listens, where it forwards, how it judges, and what it writes.

Checked when made, so a bad --to, port or platform is a sentence before anything listens.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from workbench.client.pool import DEFAULT_BODY_CAP
from workbench.errors import UsageError
from workbench.target import Target

DEFAULT_PORT = 8800
# The longest wait for the endpoint to connect, to send its response head, and between two
# pieces of its body. A platform's own limit is usually shorter (Vapi 20 s for a token): it
# hangs up first, and the proxy then closes the endpoint's stream at once.
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_CONNECTIONS = 1024
# Connecting gets at most this long (or the timeout, when that is shorter).
CONNECT_S = 10.0


@dataclass(frozen=True)
class ProxyConfig:
    to: str  # the endpoint's base URL, e.g. http://127.0.0.1:8000/v1
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    platform: str | None = None  # --as; None: recognised from each request, else openai
    log_path: str | None = None
    front_key: str | None = field(default=None, repr=False)  # the key a platform must send the proxy
    upstream: Target | None = field(default=None, repr=False)  # --profile: its credential and TLS settings
    timeout_s: float = DEFAULT_TIMEOUT_S
    body_cap: int = DEFAULT_BODY_CAP  # of each recorded request and reply (forwarding is not capped)
    max_connections: int = DEFAULT_MAX_CONNECTIONS  # to the endpoint at once

    def __post_init__(self) -> None:
        parts = urlsplit(self.to)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"--to must be the endpoint's base URL (http:// or https://); got {self.to!r}.",
                             "give it in full, e.g. --to http://127.0.0.1:8000/v1")
        if parts.query or parts.fragment:
            raise UsageError(f"--to takes a base URL without a query or fragment; got {self.to!r}.",
                             "give it as the platform would, e.g. https://llm.example.com/v1")
        if not 0 <= self.port <= 65535:
            raise UsageError(f"--port must be from 0 to 65535; got {self.port}.",
                             "8800 is the default; 0 picks a free one")
        if self.platform is not None:
            from workbench.platforms import get_platform

            get_platform(self.platform)
        if self.timeout_s <= 0:
            raise UsageError(f"the timeout must be above 0 seconds; got {self.timeout_s:g}.", "e.g. 60")

    @property
    def origin(self) -> str:
        """scheme://host:port of the endpoint: a request's path is appended to it as it came."""
        parts = urlsplit(self.to)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def base_path(self) -> str:
        """The path of --to (`/v1`): the proxy's own base URL ends in it too."""
        return urlsplit(self.to).path.rstrip("/")

    @property
    def connect_s(self) -> float:
        return min(CONNECT_S, self.timeout_s)

    @property
    def head_deadline_s(self) -> float:
        """The longest from sending to the end of the response head: connecting, then the head.

        The read timeout alone never ends a head that trickles in a byte at a time.
        """
        return self.connect_s + self.timeout_s

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
