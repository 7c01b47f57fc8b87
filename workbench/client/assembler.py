"""Turns the bytes of a streamed reply into TimedEvents and content text as they arrive.

Pure (no I/O, no clock): the client hands it each chunk with the time it arrived. It keeps
the SSE framing exactly (via wire.SSEDecoder), parses each event's JSON once, and fills the
stream timings on the Exchange. Invalid UTF-8 is noted with its byte offset and decoding
goes on with replacement characters, so the rest of the stream is still recorded.
"""

from __future__ import annotations

import codecs

from workbench import wire
from workbench.exchange import Exchange, TimedEvent

# Field names a line of an SSE stream starts with; used to tell an SSE body sent under the
# wrong content type from a JSON or HTML one.
_SSE_STARTS = ("data:", "event:", "id:", "retry:", ":")


def looks_like_sse(first_bytes: bytes) -> bool:
    """True when a body begins like an SSE stream (whatever its Content-Type said)."""
    head = first_bytes.lstrip(b"\r\n\t \xef\xbb\xbf")[:16].decode("ascii", errors="replace")
    return head.startswith(_SSE_STARTS)


class StreamAssembler:
    """Feeds reply bytes through UTF-8 and SSE decoding into `exchange.events` and its timings."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="strict")
        self._sse = wire.SSEDecoder()
        self._bytes_seen = 0
        self._last_token_ms = 0.0  # read only once first_token_ms is set, which sets it too
        # The first invalid byte: (offset from the start of the body, the bad bytes).
        self.utf8_error: tuple[int, bytes] | None = None

    def feed(self, data: bytes, t_ms: float) -> list[str]:
        """Take one chunk that arrived `t_ms` after the request began; return the content texts it completed."""
        try:
            text = self._utf8.decode(data)
        except UnicodeDecodeError as error:
            text = self._recover(data, error)
        self._bytes_seen += len(data)
        texts: list[str] = []
        for event in self._sse.feed(text):
            piece = self._record(event, t_ms, unterminated=False)
            if piece:
                texts.append(piece)
        return texts

    def close(self, t_ms: float) -> list[str]:
        """The body ended: an event still waiting for its blank line is recorded as unterminated."""
        try:
            tail = self._utf8.decode(b"", final=True)
        except UnicodeDecodeError as error:
            tail = self._recover(b"", error, final=True)
        texts: list[str] = []
        events = list(self._sse.feed(tail)) if tail else []
        leftover = list(self._sse.close())
        for event in events:
            piece = self._record(event, t_ms, unterminated=False)
            if piece:
                texts.append(piece)
        for event in leftover:
            piece = self._record(event, t_ms, unterminated=True)
            if piece:
                texts.append(piece)
        return texts

    @property
    def pending(self) -> bool:
        """An event has begun but its terminating blank line has not arrived."""
        return self._sse.pending

    def _recover(self, data: bytes, error: UnicodeDecodeError, final: bool = False) -> str:
        # The decoder keeps an incomplete sequence from the last chunk in front of `data`;
        # `error.start` counts from the start of that buffer.
        if self.utf8_error is None:
            buffered = len(self._utf8.getstate()[0])
            offset = self._bytes_seen - buffered + error.start
            self.utf8_error = (offset, bytes(error.object[error.start : error.end]))
        self._utf8.errors = "replace"
        return self._utf8.decode(data, final=final)

    def _record(self, event: wire.SSEEvent, t_ms: float, *, unterminated: bool) -> str:
        exchange = self.exchange
        timings = exchange.timings
        t_ms = round(t_ms, 3)
        timed = TimedEvent(
            t_ms=t_ms,
            raw=event.raw,
            data=event.data,
            comment_only=event.is_comment_only,
            unterminated=unterminated,
        )
        data = event.data
        if data is not None and data.strip() != wire.DONE:
            try:
                timed.parsed = wire.loads(data)
            except ValueError as error:
                timed.json_error = str(error)
            else:
                timed.text = wire.delta_text(timed.parsed)
        exchange.events.append(timed)
        if timings.first_event_ms is None:
            timings.first_event_ms = t_ms
        if timed.text:
            if timings.first_token_ms is None:
                timings.first_token_ms = t_ms
            else:
                timings.chunk_gaps_ms.append(round(t_ms - self._last_token_ms, 3))
            self._last_token_ms = t_ms
        return timed.text
