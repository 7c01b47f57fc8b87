"""API-key checks for the mock: x-api-key or Authorization: Bearer, compared in constant time."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from workbench.redact import mask

# OpenAI's own wording when no key came, which a Bearer-only endpoint also uses.
MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
)


def headers_seen(headers: Mapping[str, str]) -> str | None:
    """Which auth headers came (names only, never values): for the request log."""
    x_api_key = "x-api-key" in headers
    if "authorization" in headers:
        return "authorization+x-api-key" if x_api_key else "authorization"
    return "x-api-key" if x_api_key else None


def bearer_token(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def same_secret(given: str, expected: bytes) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected)


@dataclass(frozen=True)
class KeyCheck:
    """The key the server expects and the headers it takes it from ('any', 'x-api-key', 'bearer')."""

    api_key: str
    accepts: str = "any"

    @cached_property
    def expected(self) -> bytes:
        return self.api_key.encode("utf-8", "surrogateescape")

    def refuse(self, headers: Mapping[str, str], accepts: str | None = None) -> str | None:
        """None when the request carries the key in an accepted header, else why not (for a 401)."""
        accepts = accepts or self.accepts
        expected = self.expected
        bearer = bearer_token(headers) if accepts in ("any", "bearer") else None
        x_api_key = headers.get("x-api-key") if accepts in ("any", "x-api-key") else None
        offered = [key for key in (bearer, x_api_key) if key is not None]
        # Compare every offered key, so the time taken does not say which header matched.
        matched = [same_secret(key, expected) for key in offered]
        if any(matched):
            return None
        if offered:
            return f"Incorrect API key provided: {mask(offered[0])}."
        if accepts == "bearer":
            if "x-api-key" in headers:
                return MISSING_KEY
            if "authorization" in headers:
                return "The Authorization header must be 'Bearer YOUR_KEY'."
            return MISSING_KEY
        if accepts == "x-api-key":
            return "You didn't provide an API key. Send it in the x-api-key header (x-api-key: YOUR_KEY)."
        if "authorization" in headers:
            return "The Authorization header must be 'Bearer YOUR_KEY' (or send x-api-key: YOUR_KEY)."
        return "You didn't provide an API key. Send x-api-key: YOUR_KEY or Authorization: Bearer YOUR_KEY."
