"""The proxy's own front door: the key a platform must send to use it, and whose credential the endpoint gets.

A proxy reached through a public tunnel would otherwise relay anyone to the endpoint. With a
front-door key (`--api-key-env VAR`) every request must carry it, in one of three places:
`Authorization: Bearer <key>`, `x-api-key: <key>` (how platforms send a custom LLM's key), or
`X-Workbench-Proxy-Key: <key>` (for platforms that can add a header of their own, such as
Vapi's and ElevenLabs' custom headers). The header that carried it is consumed: the endpoint
never sees the proxy's key. Then the endpoint's credential:

- with an upstream credential (`--profile P`), the platform's credential headers
  (Authorization, x-api-key, api-key) are replaced by the profile's, sent its way;
- without one, whatever credential the platform sent besides the proxy's key passes
  through untouched: the platform sends the proxy's key in X-Workbench-Proxy-Key and its
  own Authorization for the endpoint.

Without a front-door key, nothing is consumed: the platform's credential is forwarded as it
came (or replaced by the profile's, with `--profile`). Keys are compared in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from workbench.proxy.headers import Header
from workbench.redact import credential_scheme

PROXY_KEY_HEADER = "X-Workbench-Proxy-Key"
CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "api-key"})
PROXY_KEY_LOWER = PROXY_KEY_HEADER.lower()
REFUSAL_HINT = (f"send the proxy's key as Authorization: Bearer <key>, x-api-key: <key> or {PROXY_KEY_HEADER}: <key> "
                "(the key in the variable the proxy's --api-key-env names)")


class Admission:
    """A request let in: the headers to forward (credential swapped as configured), and the keys to mask.

    The keys are worked out when first asked for (`secrets`): that is after the request has left,
    so picking the credentials out of the headers costs the platform's first token nothing.
    """

    __slots__ = ("_came", "_consumed", "_door", "_secrets", "headers")

    def __init__(self, headers: list[Header], door: FrontDoor, came: list[Header], consumed: str | None) -> None:
        self.headers = headers
        self._door, self._came, self._consumed = door, came, consumed
        self._secrets: tuple[str, ...] | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        if self._secrets is None:
            door, consumed = self._door, self._consumed
            platform_keys = (_credential(name, value) for name, value in self._came
                             if name.lower() in CREDENTIAL_HEADERS and name.lower() != consumed)
            self._secrets = tuple(s for s in (door.key, door.upstream_key, *platform_keys) if s)
        return self._secrets


class FrontDoor:
    """Admits requests that carry the proxy's key (when one is set) and sets the endpoint's credential."""

    def __init__(self, key: str | None, upstream_credential: dict[str, str] | None = None,
                 upstream_key: str | None = None) -> None:
        self.key = key or None
        self.upstream_credential = upstream_credential  # None: the platform's own passes through
        self.upstream_key = upstream_key
        self._key_bytes = key.encode("utf-8") if key else b""

    @property
    def open(self) -> bool:
        return self.key is None

    def admit(self, headers: Iterable[Header]) -> Admission | None:
        """The request's headers as forwarded, or None when the front-door key is missing or wrong."""
        headers = list(headers)
        consumed: str | None = None
        if self.key is not None:
            consumed = self._carrier(headers)
            if consumed is None:
                return None
        drop = {consumed, PROXY_KEY_LOWER}
        if self.upstream_credential is not None:
            drop |= CREDENTIAL_HEADERS
        kept = [(name, value) for name, value in headers if name.lower() not in drop]
        if self.upstream_credential is not None:
            kept += list(self.upstream_credential.items())
        return Admission(kept, self, headers, consumed)

    def _carrier(self, headers: list[Header]) -> str | None:
        """The lower-case name of the header that carries the proxy's key, or None."""
        for name, value in headers:
            lower = name.lower()
            if lower == PROXY_KEY_LOWER or lower == "x-api-key":
                candidate = value.strip()
            elif lower == "authorization" and credential_scheme(value.strip()).lower() == "bearer":
                candidate = value.strip()[len("bearer "):].strip()
            else:
                continue
            if hmac.compare_digest(candidate.encode("utf-8", "surrogateescape"), self._key_bytes):
                return lower
        return None


def _credential(name: str, value: str) -> str:
    """The secret part of a credential header's value (`Bearer sk-x` -> `sk-x`)."""
    value = value.strip()
    scheme = credential_scheme(value)
    return value[len(scheme) + 1 :].strip() if scheme else value
