"""The mock's request log: a record per request, kept in memory, told to subscribers, written as JSON lines.

This is how a user sees exactly what PolyAI or Play.ai sent. Secrets never leave masked:
auth headers go through `workbench.secrets.mask`, and the configured key is masked wherever
it turns up in a body. The log file is created readable by its owner only (0o600).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import UsageError
from workbench.secrets import mask

SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "cookie", "proxy-authorization"})

# The in-memory list keeps at least this many of the latest records (trimmed in halves, cheaply).
KEEP_RECORDS = 1_000


@dataclass(slots=True)
class RequestRecord:
    """One request the mock answered, as the console, the TUI and the log file show it."""

    time: float
    method: str
    path: str
    auth_header: str | None  # which auth header(s) came: "authorization", "x-api-key", both, or None
    status: int
    latency_ms: float
    headers: dict[str, str] = field(default_factory=dict)  # secrets masked
    body: str = ""  # secrets masked
    client: str | None = None
    stream: bool = False
    fault: str | None = None  # the fault that shaped this reply, if any
    error: str | None = None  # the message of an error reply

    def console_line(self) -> str:
        """`12:03:04  POST /v1/chat/completions  auth=x-api-key  200  41.2 ms`; never the secret."""
        clock = time.strftime("%H:%M:%S", time.localtime(self.time))
        parts = [clock, f"{self.method} {self.path}", f"auth={self.auth_header or 'none'}", str(self.status),
                 f"{self.latency_ms:.1f} ms"]
        if self.stream:
            parts.append("stream")
        if self.fault:
            parts.append(f"fault={self.fault}")
        if self.error:
            parts.append(self.error)
        return "  ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def masked_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers as they came, with every credential masked (`Bearer sk-…9f3a`)."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in SECRET_HEADERS:
            scheme, space, token = value.partition(" ")
            value = f"{scheme} {mask(token)}" if lower == "authorization" and space else mask(value)
        out[name] = value
    return out


def masked_body(body: bytes, secret: str | None) -> str:
    text = body.decode("utf-8", "replace")
    if secret and secret in text:
        text = text.replace(secret, mask(secret))
    return text


class RequestLog:
    """Records, subscribers, and the optional JSON-lines file."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.records: list[RequestRecord] = []
        self._subscribers: list[Callable[[RequestRecord], None]] = []
        self.path = Path(path) if path is not None else None
        self._file: Any = None

    def open(self) -> None:
        if self.path is None or self._file is not None:
            return
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.fchmod(fd, 0o600)  # an existing file keeps its old mode otherwise
        except OSError as error:
            raise UsageError(
                f"cannot open the request log {self.path}: {error.strerror}.",
                "give a path in a folder you can write to.",
            )
        self._file = os.fdopen(fd, "a", encoding="utf-8")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def subscribe(self, callback: Callable[[RequestRecord], None]) -> Callable[[], None]:
        """Call `callback(record)` for each request as it completes; returns an unsubscribe function."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def add(self, record: RequestRecord) -> None:
        records = self.records
        records.append(record)
        if len(records) >= 2 * KEEP_RECORDS:
            del records[:KEEP_RECORDS]
        if self._file is not None:
            self._file.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
            self._file.flush()
        for callback in self._subscribers:
            try:
                callback(record)
            except Exception as error:  # a broken subscriber must not break the server
                print(f"mock: request-log subscriber failed: {type(error).__name__}: {error}", file=sys.stderr)
