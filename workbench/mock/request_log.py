"""The mock's request log: a record per request, kept in memory, told to subscribers, written as JSON lines.

This is how a user sees exactly what PolyAI or Play.ai sent. Secrets never leave masked:
secret headers and the configured key, wherever it turns up in a body, are masked by
workbench.redact. The log file is created readable by its owner only (0o600).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from workbench.redact import Redactor, mask_header
from workbench.safe_files import open_for_append

# The in-memory list keeps at least this many of the latest records (trimmed in halves, cheaply).
KEEP_RECORDS = 1_000
# A body kept in memory is cut to this many characters, so memory does not follow body sizes
# (the --log file has every body whole).
BODY_KEPT = 64 << 10


FIELDS = ("time", "method", "path", "auth_header", "status", "latency_ms", "headers", "body", "client", "stream",
          "fault", "error")


class RequestRecord:
    """One request the mock answered, as the console, the TUI and the log file show it.

    `headers` and `body` may be given as they came (a header mapping, raw bytes) together with
    the configured `secret`: they are masked the first time anyone reads them, so the mock
    pays for masking only for records someone looks at. Nothing unmasked is ever handed out.
    """

    __slots__ = (
        "_body",
        "_headers",
        "_secret",
        "auth_header",
        "client",
        "error",
        "fault",
        "latency_ms",
        "method",
        "path",
        "status",
        "stream",
        "time",
    )

    def __init__(
        self, time: float, method: str, path: str, auth_header: str | None, status: int, latency_ms: float,
        headers: Mapping[str, str] | None = None, body: str | bytes = "", client: str | None = None,
        stream: bool = False, fault: str | None = None, error: str | None = None, *, secret: str | None = None,
    ) -> None:
        self.time = time
        self.method = method
        self.path = path
        self.auth_header = auth_header  # which auth header(s) came: "authorization", "x-api-key", both, or None
        self.status = status
        self.latency_ms = latency_ms
        self.client = client
        self.stream = stream
        self.fault = fault  # the fault that shaped this reply, if any
        self.error = error  # the message of an error reply
        self._headers: Mapping[str, str] = headers if headers is not None else {}
        self._body = body
        self._secret = secret

    @property
    def headers(self) -> dict[str, str]:
        """The request headers as they came, credentials masked (`Bearer sk-…9f3a`)."""
        if not isinstance(self._headers, dict):
            self._headers = {name: mask_header(name, value) for name, value in self._headers.items()}
        return self._headers

    @property
    def body(self) -> str:
        """The request body as text, the configured key masked wherever it appears."""
        if isinstance(self._body, bytes):
            # The mock's own key is masked at any length: the user chose it, and this is the mock's log.
            self._body = Redactor([self._secret], shortest=1).scrub(self._body.decode("utf-8", "replace"))
        return self._body

    def cut_body(self, limit: int) -> None:
        """Keep at most `limit` characters of the body, masked first so no key is cut in half."""
        if len(self._body) <= limit:
            return
        text = self.body
        # ASCII only: one wider character would make CPython store the whole kept text at 2 bytes each.
        note = f"... [{len(text)} characters; the rest is not kept in memory, --log FILE keeps it all]"
        self._body = text[: max(limit - len(note), 0)] + note

    def console_line(self) -> str:
        """`12:03:04  POST /v1/chat/completions  auth=x-api-key  200  41.2 ms`; never the secret."""
        line = (f"{clock(self.time)}  {self.method} {self.path}  auth={self.auth_header or 'none'}  "
                f"{self.status}  {self.latency_ms:.1f} ms")
        if self.stream:
            line += "  stream"
        if self.fault:
            line += f"  fault={self.fault}"
        if self.error:  # it may quote the request: one line stays one line
            line += "  " + self.error.replace("\r", "\\r").replace("\n", "\\n")
        return line

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RequestRecord) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "RequestRecord(" + ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items()) + ")"


_clock_cache: tuple[int, str] = (-1, "")


def clock(stamp: float) -> str:
    """HH:MM:SS of a timestamp, formatted once a second however many requests share it."""
    global _clock_cache
    second = int(stamp)
    if _clock_cache[0] != second:
        _clock_cache = (second, time.strftime("%H:%M:%S", time.localtime(second)))
    return _clock_cache[1]


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
        # Never through a symlink, regular files only; 0o600 if created here, else its mode kept.
        self._file = open_for_append(self.path, "the request log")

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
        record.cut_body(BODY_KEPT)
        for callback in self._subscribers:
            try:
                callback(record)
            except Exception as error:  # a broken subscriber must not break the server
                print(f"mock: request-log subscriber failed: {type(error).__name__}: {error}", file=sys.stderr)
