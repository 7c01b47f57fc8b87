"""Exchange: one recorded round trip to an endpoint. Pure data, no I/O.

Everything downstream (checks, TUI, bench, `chat --show-request`) reads Exchanges and never
a half-parsed response of its own. The request is stored as sent with secrets already
masked; the response keeps its raw bytes (capped), every SSE event with its arrival time,
and the timings a voice developer cares about. Whether the reply is usable is asked of the
Exchange itself (`problem()`), so every reader gets the same answer.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass, field, fields
from typing import Any

from workbench import wire


@dataclass
class RecordedRequest:
    method: str
    url: str
    headers: list[tuple[str, str]]  # as sent, with secret values masked
    body: bytes = b""
    secret_headers: list[str] = field(default_factory=list)  # lower-case names whose values were masked

    @property
    def json(self) -> Any:
        try:
            return wire.loads(self.body)
        except ValueError:
            return None


@dataclass
class TimedEvent:
    """One SSE event and when its terminating blank line arrived (ms since the request began)."""

    t_ms: float
    raw: str
    data: str | None = None
    comment_only: bool = False
    parsed: Any = None  # the JSON `data`, when it parses
    json_error: str | None = None  # why `data` did not parse, when it did not
    text: str = ""  # the content text this event adds
    unterminated: bool = False  # the stream ended before this event's blank line

    @property
    def is_done(self) -> bool:
        return self.data is not None and self.data.strip() == wire.DONE


@dataclass
class Timings:
    """Milliseconds since the request began. None where the moment never came."""

    headers_ms: float | None = None
    first_event_ms: float | None = None
    first_token_ms: float | None = None  # first event whose delta carries content text
    chunk_gaps_ms: list[float] = field(default_factory=list)  # between content-bearing events
    total_ms: float | None = None
    first_byte_ms: float | None = None  # first byte of the body


@dataclass
class Failure:
    """Why the exchange did not complete: an `errors.EndpointError` as data."""

    kind: str
    message: str
    hint: str = ""


@dataclass
class Exchange:
    request: RecordedRequest
    started_at: float = 0.0  # wall clock, seconds since the epoch
    status: int | None = None
    reason: str = ""
    http_version: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    body_truncated: bool = False
    body_cap: int = 8 << 20
    events: list[TimedEvent] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    failure: Failure | None = None
    cancelled: bool = False
    label: str = ""  # what this exchange was for ("chat", "check: auth.missing", …)
    stream_requested: bool = False  # the caller expected an SSE stream

    # ---- views ------------------------------------------------------------------------

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.response_headers:
            if key.lower() == name:
                return value
        return None

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    @property
    def is_sse(self) -> bool:
        return self.content_type == wire.SSE_CONTENT_TYPE

    @property
    def ok(self) -> bool:
        return self.failure is None and self.status is not None and 200 <= self.status < 300

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON (or nested too deep to walk safely)."""
        try:
            return wire.loads(self.body)
        except ValueError:
            return None

    @property
    def reply_text(self) -> str:
        """The assistant's reply as a client would assemble it (stream deltas or message.content)."""
        if self.events:
            return "".join(e.text for e in self.events)
        body = self.json()
        try:
            return wire.content_text(body["choices"][0]["message"]["content"])
        except (KeyError, IndexError, TypeError):
            return ""

    def problem(self) -> Failure | None:
        """Why this exchange gave no usable reply (a sentence and its fix), or None: the one judgement
        chat, simulate, check and bench ask (workbench/reply.py holds it)."""
        from workbench.reply import problem

        return problem(self)

    def server_message(self) -> str | None:
        """The server's own error message (an error event, or an error body), or None."""
        from workbench.reply import server_message

        return server_message(self)

    # ---- serialisation ----------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The exchange as JSON-ready data (what `from_dict` reads), field by field as `dataclasses.asdict`
        gives it, without its deep copy of every event's parsed JSON (most of the cost of saving a stream:
        the proxy writes one per round trip). Parsed event JSON is shared with the Exchange, not copied."""
        data = _record(self, Exchange)
        data["request"] = _record(self.request, RecordedRequest)
        data["request"]["body"] = _bytes_out(self.request.body)
        data["request"]["headers"] = [list(h) for h in self.request.headers]
        data["request"]["secret_headers"] = list(self.request.secret_headers)
        data["body"] = _bytes_out(self.body)
        data["response_headers"] = [list(h) for h in self.response_headers]
        data["events"] = [_record(event, TimedEvent) for event in self.events]
        data["timings"] = _record(self.timings, Timings)
        data["timings"]["chunk_gaps_ms"] = list(self.timings.chunk_gaps_ms)
        data["failure"] = _record(self.failure, Failure) if self.failure is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Exchange":
        req = data["request"]
        request = RecordedRequest(
            method=req["method"],
            url=req["url"],
            headers=[tuple(h) for h in req["headers"]],
            body=_bytes_in(req["body"]),
            secret_headers=list(req.get("secret_headers", [])),
        )
        failure = data.get("failure")
        return cls(
            request=request,
            started_at=data.get("started_at", 0.0),
            status=data.get("status"),
            reason=data.get("reason", ""),
            http_version=data.get("http_version", ""),
            response_headers=[tuple(h) for h in data.get("response_headers", [])],
            body=_bytes_in(data.get("body", "")),
            body_truncated=data.get("body_truncated", False),
            body_cap=data.get("body_cap", 8 << 20),
            events=[TimedEvent(**e) for e in data.get("events", [])],
            timings=Timings(**data.get("timings", {})),
            failure=Failure(**failure) if failure else None,
            cancelled=data.get("cancelled", False),
            label=data.get("label", ""),
            stream_requested=data.get("stream_requested", False),
        )


def _record(value: Any, kind: type) -> dict[str, Any]:
    """A dataclass instance's fields as a dict, in order (names read once per class)."""
    return {name: getattr(value, name) for name in _field_names(kind)}


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


def _bytes_out(raw: bytes) -> str | dict[str, str]:
    """Text stays readable in JSON; bytes that are not UTF-8 are kept exactly, as base64."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(raw).decode("ascii")}


def _bytes_in(value: str | dict[str, str]) -> bytes:
    if isinstance(value, dict):
        return base64.b64decode(value["base64"])
    return value.encode("utf-8")
