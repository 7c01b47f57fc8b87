"""Error bodies the mock sends: the OpenAI envelope, Polyant's NestJS one, and a raw HTML 500 page."""

from __future__ import annotations

from typing import Any

from workbench import wire
from workbench.mock.persona_polyant import nest_error

# OpenAI's `type` and `code` for each status the mock answers with.
OPENAI_KINDS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "unknown_url"),
    405: ("invalid_request_error", "method_not_allowed"),
    413: ("invalid_request_error", "request_too_large"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
}

RATE_LIMITED = "Rate limit reached for requests. Please try again in 1s."
SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"

# A framework's debug page: what a crashed Flask/Django endpoint sends instead of JSON.
HTML_500 = """<!doctype html>
<html lang="en">
<head><title>500 Internal Server Error</title></head>
<body>
<h1>Internal Server Error</h1>
<pre>Traceback (most recent call last):
  File "/srv/llm/app.py", line 42, in chat_completions
    reply = model.generate(prompt, max_new_tokens=256)
  File "/srv/llm/model.py", line 118, in generate
    raise RuntimeError("CUDA out of memory")
RuntimeError: CUDA out of memory</pre>
</body>
</html>
"""


def error_body(
    status: int, message: str, *, nest: bool, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """The error object for this status in the persona's shape (NestJS for Polyant, else OpenAI)."""
    if nest:
        return nest_error(status, message)
    kind, default_code = OPENAI_KINDS.get(status, ("invalid_request_error", None))
    return wire.error_envelope(message, kind, param=param, code=code or default_code)
