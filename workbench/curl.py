""""Copy as curl": a recorded request as a shell command, with the credential left as $VARIABLE.

The recording is already masked, so the command can never leak the key; the masked header
values become a reference to an environment variable the user exports, which keeps the
command runnable (`export API_KEY=…` then paste).
"""

from __future__ import annotations

import shlex

from workbench.exchange import RecordedRequest
from workbench.redact import credential_scheme

# Headers curl sets itself (or that only make sense to the original client).
_SKIPPED = frozenset({"host", "content-length", "connection", "accept-encoding"})


def to_curl(request: RecordedRequest, *, key_variable: str = "API_KEY", stream: bool = False) -> str:
    """A curl command that sends the same request; secret headers read ${key_variable}."""
    if not key_variable.isidentifier():
        raise ValueError(f"{key_variable!r} is not a shell variable name")
    parts = ["curl"]
    if stream:
        parts.append("-N")  # print the stream as it arrives, unbuffered
    if request.method != ("POST" if request.body else "GET"):
        parts += ["-X", request.method]
    parts.append(shlex.quote(request.url))
    secret = set(request.secret_headers)
    for name, value in request.headers:
        lower = name.lower()
        if lower in _SKIPPED:
            continue
        if lower in secret:
            parts += ["-H", _secret_header(name, value, key_variable)]
        else:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    if request.body:
        parts += ["--data-binary", shlex.quote(request.body.decode("utf-8", errors="replace"))]
    return " ".join(parts)


def _secret_header(name: str, masked_value: str, variable: str) -> str:
    """`"Authorization: Bearer $API_KEY"`: double quotes so the shell expands the variable."""
    scheme = credential_scheme(masked_value)
    fixed = f"{name}: {scheme} " if scheme else f"{name}: "
    for char in ("\\", '"', "`", "$"):
        fixed = fixed.replace(char, "\\" + char)
    return f'"{fixed}${{{variable}}}"'
