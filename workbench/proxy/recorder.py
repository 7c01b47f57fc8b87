"""Recorder: one round trip through the proxy as an Exchange, from what passes, read after it has passed.

The same recording the client makes (workbench/client/call.py), fed from the other side: the
response head, every piece of the body with its arrival time (the client's StreamAssembler
turns them into SSE events and timings), the failure worded by the client's Diagnosis, and the
request as forwarded (credentials masked).

While the reply flows, the proxy only stamps each piece's arrival and keeps it (`take`: a
clock read and a list append); the pieces are read (inflated, decoded, split into events,
their JSON parsed) once the platform has them all (`finish`), or when a failure has to say
how far the reply got (`catch_up`). The times are the arrival times either way, so the
recording is the same; the platform never waits for it. What is kept is bounded: the raw
pieces up to the body cap, then nothing more (the proxy still forwards everything). gzip and
deflate are inflated here for the recording only, in bounded steps; the platform gets the
bytes as the endpoint sent them. Pure: no I/O.
"""

from __future__ import annotations

import functools
import time

import httpx

from workbench import errors, wire
from workbench.client.assembler import StreamAssembler, looks_like_sse
from workbench.client.diagnose import Diagnosis
from workbench.client.inflate import Inflater
from workbench.exchange import Exchange, Failure, RecordedRequest
from workbench.redact import SHORTEST_IN_BODIES, Redactor, scrub_reply

INFLATED_CODINGS = ("gzip", "x-gzip", "deflate")


class Recorder:
    """Builds the Exchange of one request the proxy forwards."""

    def __init__(self, method: str, url: str, body: bytes, *, body_cap: int, secrets: list[str],
                 clock: tuple[float, float] | None = None) -> None:
        # The request as forwarded is recorded at the end (`finish`): its masking costs nothing on the way.
        self.exchange = Exchange(request=RecordedRequest(method, url, []), body_cap=body_cap)
        self.request_body = body
        self.secrets = secrets
        self.words: Diagnosis | None = None  # set by the proxy: the client's words for failures
        # When the request left for the endpoint (Recorder.clock() read then): the timings count from there.
        self._t0, self.exchange.started_at = clock or self.clock()
        self._pieces: list[tuple[bytes, float]] = []  # as they came, with their arrival times
        self._kept = 0  # raw bytes kept so far
        self._dropped = False  # pieces came past the cap and were not kept
        self._read = 0  # how many pieces have been read into the recording
        self._body = bytearray()
        self._opened = False  # the head has been read: how to read the body is decided
        self._sse: bool | None = False  # None: not known until the first bytes (a stream request, 2xx)
        self._assembler: StreamAssembler | None = None
        self._inflater: Inflater | None = None
        self._inflating = True  # False after the encoding failed: the rest is forwarded, not recorded
        self._full = False  # the body cap is reached
        self._done = False

    def ms(self) -> float:
        return (time.perf_counter() - self._t0) * 1000

    @staticmethod
    def clock() -> tuple[float, float]:
        """(perf_counter, wall clock) now: read as the request leaves, as the client's timings begin."""
        return time.perf_counter(), time.time()

    @functools.cached_property
    def stream_requested(self) -> bool:
        """The request asked for a stream (`"stream": true` in its JSON body)."""
        return wants_stream(self.request_body)

    # ---- while the reply flows: stamp and keep --------------------------------------------------

    def head(self, status: int, reason: str, version: str, headers: list[tuple[str, str]]) -> None:
        exchange = self.exchange
        exchange.timings.headers_ms = round(self.ms(), 3)
        exchange.status, exchange.reason, exchange.http_version = status, reason, version
        exchange.response_headers = headers
        exchange.body = self._body  # type: ignore[assignment]  # grows in place; bytes at the end

    def take(self, raw: bytes, t_ms: float) -> None:
        """A piece of the body as it came on the wire (compressed, perhaps), which arrived at `t_ms`."""
        timings = self.exchange.timings
        if timings.first_byte_ms is None:
            timings.first_byte_ms = round(t_ms, 3)
        if self._kept >= self.exchange.body_cap:
            self._dropped = True
            return
        self._pieces.append((raw, t_ms))
        self._kept += len(raw)

    # ---- reading what came ------------------------------------------------------------------------

    def catch_up(self) -> None:
        """Read every piece kept so far into the recording (events, timings, the body)."""
        if self.exchange.status is None:
            return
        if not self._opened:
            self._open_body()
        pieces = self._pieces
        while self._read < len(pieces):
            raw, t_ms = pieces[self._read]
            self._read += 1
            self._ingest(raw, t_ms)
        if self._dropped and not self._full:
            self._full = True
            self.exchange.body_truncated = True
            self.fail(self._too_large())

    def _open_body(self) -> None:
        """How to read the body, from the head: as SSE or not, inflated or not."""
        self._opened = True
        exchange = self.exchange
        exchange.stream_requested = self.stream_requested
        success = exchange.status is not None and 200 <= exchange.status < 300
        self._sse = True if exchange.is_sse else (None if exchange.stream_requested and success else False)
        if self._sse:
            self._assembler = StreamAssembler(exchange)
        codings = [c.strip().lower() for c in (exchange.header("content-encoding") or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) == 1 and codings[0] in INFLATED_CODINGS:
            self._inflater = Inflater(codings[0])
        elif codings:
            self._inflating = False  # br, zstd, several at once: forwarded, not read

    def _ingest(self, raw: bytes, t_ms: float) -> None:
        if self._full or not self._inflating:
            return
        if self._inflater is None:
            self._keep(raw, t_ms)
            return
        try:
            for piece in self._inflater.feed(raw):
                if not self._keep(piece, t_ms):
                    return
        except httpx.DecodingError as error:
            self._inflating = False
            if self.words is not None:
                self.fail(self.words.describe(error, True))

    def _keep(self, piece: bytes, t_ms: float) -> bool:
        """Record a decoded piece up to the cap; False once the cap is reached."""
        room = self.exchange.body_cap - len(self._body)
        if len(piece) > room:
            piece = piece[:room]
            self._full = True
            self.exchange.body_truncated = True
        self._body += piece
        if self._sse is None and self._body.strip():
            piece = self._sniff(piece)
        if self._assembler is not None:
            self._assembler.feed(piece, t_ms)
        if self._full:
            self.fail(self._too_large())
        return not self._full

    def _sniff(self, piece: bytes) -> bytes:
        """A stream request answered under another Content-Type: read it as SSE if it looks like SSE."""
        self._sse = looks_like_sse(bytes(self._body[:64]))
        if self._sse:
            self._assembler = StreamAssembler(self.exchange)
            return bytes(self._body)
        return piece

    def _too_large(self) -> errors.BodyTooLarge:
        cap = self.exchange.body_cap
        size = f"{cap / (1 << 20):g} MiB" if cap >= 1 << 20 else f"{cap} bytes"
        return errors.BodyTooLarge(
            f"The reply passed the proxy's {size} recording cap: the platform got all of it, the recording "
            f"stops there ({len(self.exchange.events)} events kept).",
            "A chat reply this large is almost always a bug (a stream that never ends?).",
        )

    # ---- how it ended ---------------------------------------------------------------------

    def fail(self, error: errors.EndpointError) -> None:
        """Record the first failure (later ones follow from it), keys masked."""
        exchange = self.exchange
        if exchange.failure is None:
            message = Redactor(self.secrets).scrub(error.message)
            exchange.failure = Failure(error.kind, message, error.hint)

    def hung_up(self, who: str) -> None:
        """The platform went away (or the proxy stopped) before the reply ended: `who` says which."""
        self.catch_up()
        exchange = self.exchange
        exchange.cancelled = True
        if exchange.failure is None:
            got = (f"{len(exchange.events)} events and {len(exchange.reply_text)} characters of reply text"
                   if exchange.events else f"{len(self._body)} bytes of reply")
            if exchange.status is None:
                got = "before the endpoint's response head"
            exchange.failure = Failure("cancelled", f"{who} after {self.ms():.0f} ms; kept {got}.",
                                       "The endpoint's stream was closed at once, as the platform closed its own.")

    def finish(self, ended: bool, request: RecordedRequest, label: str) -> Exchange:
        """The round trip is over (`ended`: the body came to its end): the Exchange, complete and masked."""
        exchange = self.exchange
        if self._done:
            return exchange
        self._done = True
        total = self.ms()
        self.catch_up()
        exchange.request, exchange.label = request, label
        exchange.stream_requested = self.stream_requested
        if self._assembler is not None:
            self._assembler.close(total)
        if ended and not exchange.cancelled:
            self._check_reply()
        exchange.timings.total_ms = round(total, 3)
        exchange.body = bytes(exchange.body)
        scrub_reply(exchange, Redactor(self.secrets, shortest=SHORTEST_IN_BODIES))
        return exchange

    def _check_reply(self) -> None:
        """What the client checks of a complete reply (call.py's _check_reply), in its words."""
        exchange, words = self.exchange, self.words
        if words is None or exchange.status is None:
            return
        success = 200 <= exchange.status < 300
        if exchange.stream_requested and success and not exchange.is_sse:
            self.fail(words.not_sse())
        assembler = self._assembler
        if assembler is not None and assembler.utf8_error is not None:
            self.fail(words.invalid_utf8(*assembler.utf8_error))
        elif assembler is None and success and self._inflating and _is_textual(exchange.content_type):
            try:
                bytes(self._body).decode("utf-8")
            except UnicodeDecodeError as error:
                self.fail(words.invalid_utf8(error.start, bytes(self._body[error.start : error.end])))


def _is_textual(content_type: str) -> bool:
    return content_type.startswith("text/") or content_type.endswith("json")


def wants_stream(body: bytes) -> bool:
    """The request asked for a stream (`"stream": true` in its JSON body)."""
    try:
        parsed = wire.loads(body)
    except ValueError:
        return False
    return isinstance(parsed, dict) and parsed.get("stream") is True
