"""The Polyant persona: what differs when the mock plays the Polyant engine (see seeds/ Polyant docs).

- Models are instance slugs (config.models); an unknown model is a 401, as in Polyant.
- Every error, 400s included, is the NestJS envelope {"statusCode", "message", "error"}.
- chat/completions is throttled to 20 requests a minute per client address (429 past that).
- Auth is `Authorization: Bearer` only; GET /v1/models always needs it (any Bearer token
  when no key is configured, since Polyant would take a session JWT there).
- usage is always zeros, finish_reason is only "stop", stream_options.include_usage is ignored.
"""

from __future__ import annotations

import time
from collections import deque
from http import HTTPStatus
from typing import Any

from workbench.mock.validation import shown

OWNED_BY = "polyant"
INVALID_KEY = "Invalid API key"
THROTTLED = "ThrottlerException: Too Many Requests"
WINDOW_S = 60.0


def nest_error(status: int, message: str) -> dict[str, Any]:
    """NestJS's exception body: the status, the message, and the status's reason phrase."""
    return {"statusCode": status, "message": message, "error": HTTPStatus(status).phrase}


def unknown_model_message(model: str, models: tuple[str, ...]) -> str:
    return f"Unknown model {shown(model)}: no active instance has this slug (instances: {', '.join(models)})"


class Throttle:
    """A sliding one-minute window of request times per client address, like @Throttle(limit, 60 s)."""

    def __init__(self, limit: int, window_s: float = WINDOW_S) -> None:
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}

    def retry_after(self, client: str) -> int | None:
        """None when this request is allowed (and counts it), else seconds until the next one is."""
        now = time.monotonic()
        hits = self._hits.setdefault(client, deque())
        while hits and now - hits[0] >= self.window_s:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(1, int(self.window_s - (now - hits[0]) + 0.999))
        hits.append(now)
        return None
